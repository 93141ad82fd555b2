//! What the check leaves on the vendor's server: every client it registered dynamically is
//! deleted with RFC 7592 when the registration response said how, and listed in the report's
//! `leftBehind` (with why) when it could not be.

use mcp_oauth_reports::LeftBehind;
use reqwest::Method;
use serde_json::json;

use crate::checks;
use crate::flow::FlowContext;
use crate::flow::registration::Registration;
use crate::http::{Body, headers};

/// Deletes every client registered through `ctx` (once each), recording `dcr-client-deleted`
/// and the DELETE exchange for each; returns those that stay on the server.
pub async fn delete_registrations(ctx: &mut FlowContext) -> Vec<LeftBehind> {
    let registrations = std::mem::take(&mut ctx.registrations);
    let mut left = Vec::new();
    for registration in registrations {
        if let Some(reason) = delete(ctx, &registration).await {
            left.push(LeftBehind {
                client_id: registration.client.client_id.clone(),
                registered_by: registration.registered_by.to_owned(),
                reason,
            });
        }
    }
    left
}

/// None when the client is gone; else why it is still there. A failed deletion is INFO: the
/// server owes no deletion (RFC 7592 is optional), but the operator should know what stays.
async fn delete(ctx: &mut FlowContext, registration: &Registration) -> Option<String> {
    let client_id = &registration.client.client_id;
    let Some(management) = &registration.client.management else {
        let reason = "the registration response gave no registration_client_uri and registration_access_token (RFC 7592), so the client cannot be deleted".to_owned();
        ctx.recorder.info(
            &checks::DCR_CLIENT_DELETED,
            json!({ "clientId": client_id, "registrationClientUri": null }),
            reason.clone(),
        );
        return Some(reason);
    };
    let uri = &management.registration_client_uri;
    let authorization = format!("Bearer {}", management.registration_access_token.secret());
    let answer = ctx
        .http
        .send(
            "registration",
            Method::DELETE,
            uri,
            &headers(&[("authorization", &authorization)]),
            Body::Empty,
        )
        .await;
    let reason = match answer {
        Ok(response) if response.status.as_u16() == 204 || response.status.is_success() => {
            ctx.recorder.pass(
                &checks::DCR_CLIENT_DELETED,
                json!({ "clientId": client_id, "registrationClientUri": uri, "status": response.status.as_u16() }),
            );
            return None;
        }
        Ok(response) => {
            let status = response.status.as_u16();
            ctx.recorder.info(
                &checks::DCR_CLIENT_DELETED,
                json!({ "clientId": client_id, "registrationClientUri": uri, "expected": 204, "status": status }),
                format!("the DELETE of the registration was answered {status}, so the client stays"),
            );
            format!("the RFC 7592 DELETE was answered {status}")
        }
        Err(e) => {
            ctx.recorder.info(
                &checks::DCR_CLIENT_DELETED,
                json!({ "clientId": client_id, "registrationClientUri": uri, "error": e.to_string() }),
                format!("the DELETE of the registration failed: {e}"),
            );
            format!("the RFC 7592 DELETE failed: {e}")
        }
    };
    Some(reason)
}
