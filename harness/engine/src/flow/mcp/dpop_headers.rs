//! The DPoP side of the MCP transport: the scheme a token is presented with, a proof per
//! request, the token and proof as headers of ours on rmcp's own DELETE and GET, and the
//! nonce retries answered, for the recorder once the session is over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use http::{HeaderName, HeaderValue};
use serde_json::json;

use super::RecordingClient;
use crate::checks;
use crate::flow::FlowContext;
use crate::flow::dpop;

/// The resource server's `use_dpop_nonce` demands the transport answered, with whether the
/// request sent again with the nonce was accepted; recorded as `dpop-nonce` once the session
/// is over (the transport cannot reach the recorder).
#[derive(Debug, Clone, Default)]
pub(super) struct NonceRetries(Arc<Mutex<Vec<bool>>>);

impl NonceRetries {
    pub(super) fn push(&self, accepted: bool) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(accepted);
    }

    pub(super) fn record(&self, ctx: &mut FlowContext) {
        let retries = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for accepted in retries {
            if accepted {
                ctx.recorder.pass(
                    &checks::DPOP_NONCE,
                    json!({ "server": "resource", "retried": true }),
                );
            } else {
                ctx.recorder.fail(
                    &checks::DPOP_NONCE,
                    json!({ "server": "resource", "retried": true }),
                    "the MCP server demanded a DPoP nonce again after the client sent the one it issued; the client retries once only",
                );
            }
        }
    }
}

impl RecordingClient {
    /// The `Authorization` scheme of the token: `DPoP` for a flow that uses DPoP (RFC 9449
    /// §7.1), `Bearer` otherwise.
    pub(super) fn scheme(&self) -> &'static str {
        if self.dpop.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
    }

    /// A proof of possession for a request with this token, when the flow uses DPoP.
    pub(super) fn proof(&self, method: &str, uri: &str, token: &str) -> Option<String> {
        let key = self.dpop.as_ref()?;
        let proof = key.proof(
            dpop::Server::Resource,
            method,
            uri,
            Some(token),
            self.clock.now(),
        );
        self.http.redactor().register(&proof);
        Some(proof)
    }

    /// rmcp's own client (DELETE, GET) sends `Authorization: Bearer` for an `auth_header`;
    /// with DPoP the token and its proof go as headers of ours instead.
    pub(super) fn with_proof(
        &self,
        method: &str,
        uri: &str,
        auth_header: Option<String>,
        mut custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> (Option<String>, HashMap<HeaderName, HeaderValue>) {
        let Some(token) = auth_header.as_deref() else {
            return (auth_header, custom_headers);
        };
        let Some(proof) = self.proof(method, uri, token) else {
            return (auth_header, custom_headers);
        };
        if let (Ok(authorization), Ok(proof)) = (
            HeaderValue::from_str(&format!("DPoP {token}")),
            HeaderValue::from_str(&proof),
        ) {
            custom_headers.insert(http::header::AUTHORIZATION, authorization);
            custom_headers.insert(HeaderName::from_static("dpop"), proof);
            return (None, custom_headers);
        }
        (auth_header, custom_headers)
    }
}
