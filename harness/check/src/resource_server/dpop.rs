//! For a flow that uses DPoP: does the MCP server hold a bound token to its proof? The bound
//! token as a Bearer token, under the DPoP scheme without a proof, with a proof replayed and
//! with a proof for another URL must each be refused.

use oauth2::AccessToken;

use super::{Credential, expect_refused, present};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::flow::FlowContext;
use mcp_oauth_engine::flow::dpop::Server;

pub(super) async fn probe(ctx: &mut FlowContext, mcp_url: &str, token: &AccessToken) {
    let Some(key) = ctx.dpop.clone() else {
        return;
    };
    let token = token.secret();
    expect_refused(
        ctx,
        mcp_url,
        &checks::DPOP_BOUND_TOKEN_AS_BEARER_REFUSED,
        Credential::Raw {
            authorization: &format!("Bearer {token}"),
            dpop: None,
        },
        "the DPoP-bound token under `Bearer` and no proof",
    )
    .await;
    let authorization = format!("DPoP {token}");
    expect_refused(
        ctx,
        mcp_url,
        &checks::DPOP_PROOF_REQUIRED,
        Credential::Raw {
            authorization: &authorization,
            dpop: None,
        },
        "the DPoP-bound token under `DPoP` and no DPoP header",
    )
    .await;
    let elsewhere = match url::Url::parse(mcp_url).and_then(|u| u.join("/elsewhere")) {
        Ok(url) => url.to_string(),
        Err(_) => format!("{mcp_url}/elsewhere"),
    };
    let wrong = key.proof(
        Server::Resource,
        "POST",
        &elsewhere,
        Some(token),
        ctx.clock.now(),
    );
    ctx.http.redactor().register(&wrong);
    expect_refused(
        ctx,
        mcp_url,
        &checks::DPOP_WRONG_HTU_REFUSED,
        Credential::Raw {
            authorization: &authorization,
            dpop: Some(&wrong),
        },
        "a proof whose htu names another URL",
    )
    .await;
    replay(ctx, mcp_url, &authorization, token).await;
}

/// A proof the server accepted, sent again: the second time must be refused.
async fn replay(ctx: &mut FlowContext, mcp_url: &str, authorization: &str, token: &str) {
    let check = &checks::DPOP_REPLAYED_PROOF_REFUSED;
    let Some(key) = ctx.dpop.clone() else {
        return;
    };
    let mut proof = key.proof(
        Server::Resource,
        "POST",
        mcp_url,
        Some(token),
        ctx.clock.now(),
    );
    let mut first = None;
    // One more proof when the server demands a nonce it had not handed out yet.
    for _ in 0..2 {
        ctx.http.redactor().register(&proof);
        let raw = Credential::Raw {
            authorization,
            dpop: Some(&proof),
        };
        match present(ctx, mcp_url, raw).await {
            Ok(answer) if answer.accepted() => {
                first = Some(answer);
                break;
            }
            Ok(answer) if answer.error() == Some("use_dpop_nonce") && answer.nonce.is_some() => {
                proof = key.proof_with(
                    "POST",
                    mcp_url,
                    Some(token),
                    answer.nonce.as_deref(),
                    ctx.clock.now(),
                );
            }
            Ok(answer) => {
                ctx.recorder.skip(
                    check,
                    format!(
                        "a fresh proof was answered {} (not accepted), so there is no accepted proof to replay",
                        answer.status
                    ),
                );
                return;
            }
            Err(e) => {
                ctx.recorder
                    .skip(check, format!("the request with a fresh proof failed: {e}"));
                return;
            }
        }
    }
    if first.is_none() {
        ctx.recorder.skip(
            check,
            "a fresh proof with the nonce the server demanded was not accepted either",
        );
        return;
    }
    expect_refused(
        ctx,
        mcp_url,
        check,
        Credential::Raw {
            authorization,
            dpop: Some(&proof),
        },
        "a proof it had just accepted, sent again",
    )
    .await;
}
