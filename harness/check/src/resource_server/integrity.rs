//! Token integrity: an altered token, and for JWTs an unsigned copy and a copy signed with a
//! key the server never saw, must all be refused.

use oauth2::AccessToken;

use super::jwt::{self, Jwt};
use super::{Credential, expect_refused, secret};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::flow::FlowContext;

pub(super) async fn probe(ctx: &mut FlowContext, mcp_url: &str, token: &AccessToken) {
    let altered = secret(ctx, &jwt::altered(token.secret()));
    expect_refused(
        ctx,
        mcp_url,
        &checks::ALTERED_TOKEN_REFUSED,
        Credential::Header(&format!("Bearer {}", altered.secret())),
        "the real token with its signature (or last characters) altered",
    )
    .await;
    let Some(parsed) = Jwt::parse(token.secret()) else {
        let why = "the access token is opaque (not a JWT), so there is no signature to forge";
        ctx.recorder.skip(&checks::UNSIGNED_JWT_REFUSED, why);
        ctx.recorder.skip(&checks::FOREIGN_SIGNED_JWT_REFUSED, why);
        return;
    };
    let unsigned = secret(ctx, &parsed.unsigned());
    expect_refused(
        ctx,
        mcp_url,
        &checks::UNSIGNED_JWT_REFUSED,
        Credential::Header(&format!("Bearer {}", unsigned.secret())),
        "an `alg: none` copy of the real token",
    )
    .await;
    let foreign = secret(ctx, &parsed.signed_by_unknown_key());
    let what = format!(
        "a copy of the real token ({}) re-signed EdDSA with a key the server never saw",
        parsed.alg()
    );
    expect_refused(
        ctx,
        mcp_url,
        &checks::FOREIGN_SIGNED_JWT_REFUSED,
        Credential::Header(&format!("Bearer {}", foreign.secret())),
        &what,
    )
    .await;
}
