//! What the check leaves on the vendor's server: every client it registered dynamically is
//! deleted with RFC 7592 when the registration response said how, and listed in the report's
//! `leftBehind` (with why) when it could not be.

use mcp_oauth_reports::LeftBehind;
use reqwest::Method;
use serde_json::json;

use url::Url;

use mcp_oauth_engine::checks;
use mcp_oauth_engine::flow::FlowContext;
use mcp_oauth_engine::flow::registration::Registration;
use mcp_oauth_engine::http::{Body, headers};

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
    if let Some(reason) = refused_destination(ctx, &registration.endpoint, uri) {
        ctx.recorder.info(
            &checks::DCR_CLIENT_DELETED,
            json!({ "clientId": client_id, "registrationClientUri": ctx.http.redactor().url(uri), "sent": false }),
            reason.clone(),
        );
        return Some(reason);
    }
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

/// Why the DELETE may not go to `uri`, if it may not. The registration access token goes only
/// where the client was registered: the registration endpoint's origin (scheme, host and port),
/// under the flow's address policy. A `registration_client_uri` elsewhere would hand the token,
/// and a request of our making, to whatever host the server named.
fn refused_destination(ctx: &FlowContext, endpoint: &str, uri: &str) -> Option<String> {
    let shown = ctx.http.redactor().url(uri);
    let Ok(target) = Url::parse(uri) else {
        return Some(format!(
            "the registration_client_uri {shown} is not an absolute URL, so the RFC 7592 DELETE was not sent"
        ));
    };
    let same_origin = Url::parse(endpoint).is_ok_and(|e| e.origin() == target.origin());
    if !same_origin {
        return Some(format!(
            "the registration_client_uri {shown} is not on the registration endpoint's origin ({}), so the RFC 7592 DELETE was not sent there",
            ctx.http.redactor().url(endpoint)
        ));
    }
    if ctx.http.address_policy().refuses(&target) {
        return Some(format!(
            "the registration_client_uri {shown} names a loopback or private address, which a public target may not send the client to, so the RFC 7592 DELETE was not sent"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mcp_oauth_mocks::clock::SystemClock;
    use mcp_oauth_reports::Status;
    use oauth2::ClientSecret;

    use super::*;
    use mcp_oauth_engine::flow::registration::{AuthMethod, ClientManagement, RegisteredClient};
    use mcp_oauth_engine::flow::{ClientFlow, ClientOptions};
    use mcp_oauth_engine::http::{HttpClient, HttpLimits};
    use mcp_oauth_engine::profile;
    use mcp_oauth_engine::redact::Redactor;

    fn flow(target: &str) -> ClientFlow {
        let http = HttpClient::new(HttpLimits::default(), Redactor::default()).unwrap();
        ClientFlow::new(
            ClientOptions::new(target),
            &profile::PIPELINES,
            Arc::new(SystemClock),
            http,
        )
    }

    fn registered(endpoint: &str, registration_client_uri: &str) -> Registration {
        Registration {
            client: RegisteredClient {
                client_id: "client-1".to_owned(),
                client_secret: None,
                auth_method: AuthMethod::None,
                source: "dynamic-registration",
                management: Some(ClientManagement {
                    registration_client_uri: registration_client_uri.to_owned(),
                    registration_access_token: ClientSecret::new("management-token-0123".into()),
                }),
            },
            endpoint: endpoint.to_owned(),
            redirect_uri: "http://127.0.0.1:33418/callback".to_owned(),
            registered_by: "probes",
            reusable: false,
        }
    }

    /// Deletes the one registration; returns why it stays, how many requests were made and the
    /// status of the `dcr-client-deleted` check.
    async fn delete_one(target: &str, registration: Registration) -> (Vec<String>, usize, Status) {
        let mut flow = flow(target);
        let ctx = flow.context();
        ctx.registrations.push(registration);
        let left = delete_registrations(ctx).await;
        let sent = ctx.http.exchange_count();
        let status = flow
            .checks()
            .iter()
            .find(|c| c.id == checks::DCR_CLIENT_DELETED.id)
            .map(|c| c.status)
            .expect("the deletion is recorded");
        (left.into_iter().map(|l| l.reason).collect(), sent, status)
    }

    #[tokio::test]
    async fn a_registration_client_uri_on_another_origin_gets_no_delete() {
        for elsewhere in [
            "https://collector.example/register/client-1",
            "http://as.example.com/register/client-1",
            "https://as.example.com:8443/register/client-1",
            "not a url",
        ] {
            let registration = registered("https://as.example.com/register", elsewhere);
            let (left, sent, status) =
                delete_one("https://mcp.example.com/mcp", registration).await;
            assert_eq!(sent, 0, "{elsewhere}: a request was made");
            assert_eq!(status, Status::Info);
            assert!(
                left.len() == 1 && left[0].contains("was not sent"),
                "{elsewhere}: {left:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_private_registration_client_uri_of_a_public_target_gets_no_delete() {
        let registration = registered(
            "http://127.0.0.1:9/register",
            "http://127.0.0.1:9/register/client-1",
        );
        let (left, sent, _) = delete_one("https://mcp.example.com/mcp", registration).await;
        assert_eq!(sent, 0);
        assert!(left[0].contains("loopback or private"), "{left:?}");
    }

    #[tokio::test]
    async fn the_delete_goes_to_the_registration_endpoints_own_origin() {
        // Nothing listens on port 9: the DELETE is sent, and fails, which is recorded.
        let registration = registered(
            "http://127.0.0.1:9/register",
            "http://127.0.0.1:9/register/client-1",
        );
        let (left, sent, _) = delete_one("http://127.0.0.1:9/mcp", registration).await;
        assert_eq!(sent, 1);
        assert!(left[0].contains("DELETE failed"), "{left:?}");
    }
}
