//! RFC 8414 §3.3: the metadata's `issuer` must be the issuer it was fetched for.

use serde_json::json;

use super::AuthServerMetadata;
use crate::checks;
use crate::diagnosis;
use crate::flow::{FlowContext, StepResult};

/// RFC 8414 §3.3: records `as-issuer-matches`; a mismatch is the `issuer-mismatch` diagnosis.
pub(crate) fn check_issuer(
    ctx: &mut FlowContext,
    issuer: &str,
    metadata: &AuthServerMetadata,
    metadata_url: &str,
) -> StepResult<()> {
    let published = metadata.issuer.as_deref().unwrap_or("");
    let details = json!({ "expected": issuer, "actual": published, "metadataUrl": metadata_url });
    if published == issuer {
        ctx.recorder.pass(&checks::AS_ISSUER_MATCHES, details);
        return Ok(());
    }
    let remedy = format!(
        "The authorization server must publish `\"issuer\": \"{issuer}\"` exactly (RFC 8414 §3.3 compares strings, so a trailing slash matters), or the protected-resource metadata must name {published} as the authorization server."
    );
    ctx.recorder.fail_with_remedy(
        &checks::AS_ISSUER_MATCHES,
        details,
        format!("the metadata's issuer {published:?} differs from {issuer:?}"),
        Some(remedy.clone()),
    );
    Err(diagnosis::new(
        diagnosis::ISSUER_MISMATCH,
        format!(
            "The authorization-server metadata at {metadata_url} says its issuer is {published}, but it was fetched for {issuer}; clients must refuse it (RFC 8414 §3.3)."
        ),
        remedy,
    ))
}
