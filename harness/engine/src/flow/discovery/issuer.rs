//! RFC 8414 §3.3: the metadata's `issuer` must be the issuer it was fetched for.

use serde_json::json;

use mcp_oauth_reports::Status;

use super::AuthServerMetadata;

use crate::checks;
use crate::diagnosis;
use crate::flow::{FlowContext, StepResult};
use crate::profile::IssuerComparison;

/// RFC 8414 §3.3: records `as-issuer-matches`; a mismatch is the `issuer-mismatch` diagnosis.
/// `Ok(true)` when the issuers are identical, `Ok(false)` when the profile's client accepts
/// them anyway.
pub fn check_issuer(
    ctx: &mut FlowContext,
    issuer: &str,
    metadata: &AuthServerMetadata,
    metadata_url: &str,
) -> StepResult<bool> {
    let published = metadata.issuer.as_deref().unwrap_or("");
    let details = json!({ "expected": issuer, "actual": published, "metadataUrl": metadata_url });
    if published == issuer {
        ctx.recorder.pass(&checks::AS_ISSUER_MATCHES, details);
        return Ok(true);
    }
    if accepted_anyway(ctx.profile.issuer_match, issuer, published) {
        ctx.recorder.warn(
            &checks::AS_ISSUER_MATCHES,
            details,
            format!(
                "the metadata's issuer {published:?} differs from {issuer:?} by a trailing slash; the {} client accepts it, though RFC 8414 §3.3 compares the strings exactly",
                ctx.profile.name
            ),
        );
        return Ok(false);
    }
    let remedy = format!(
        "The authorization server must publish `\"issuer\": \"{issuer}\"` exactly (RFC 8414 §3.3 compares strings, so a trailing slash matters), or the protected-resource metadata must name {published} as the authorization server."
    );
    let status = ctx.recorder.fail_with_remedy(
        &checks::AS_ISSUER_MATCHES,
        details,
        format!("the metadata's issuer {published:?} differs from {issuer:?}"),
        Some(remedy.clone()),
    );
    // A profile of a client that does not compare goes on with the metadata, as it does.
    if status != Status::Failure {
        return Ok(false);
    }
    Err(diagnosis::new(
        diagnosis::ISSUER_MISMATCH,
        format!(
            "The authorization-server metadata at {metadata_url} says its issuer is {published}, but it was fetched for {issuer}; clients must refuse it (RFC 8414 §3.3)."
        ),
        remedy,
    ))
}

/// Whether a client comparing issuers `rule`'s way takes `published` for `expected`.
fn accepted_anyway(rule: IssuerComparison, expected: &str, published: &str) -> bool {
    let trimmed = |s: &str| s.strip_suffix('/').unwrap_or(s).to_owned();
    match rule {
        IssuerComparison::Identical => false,
        IssuerComparison::ExpectedSlashOptional => {
            expected.ends_with('/') && trimmed(expected) == published
        }
        IssuerComparison::SlashOptional => trimmed(expected) == trimmed(published),
        IssuerComparison::OriginSlashOptional => {
            let origin_only = url::Url::parse(&trimmed(expected)).is_ok_and(|u| u.path() == "/");
            origin_only && trimmed(expected) == trimmed(published)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_issuer_rules_forgive_a_trailing_slash_and_nothing_else() {
        let a = "https://as.example.com/";
        let b = "https://as.example.com";
        assert!(!accepted_anyway(IssuerComparison::Identical, a, b));
        assert!(accepted_anyway(
            IssuerComparison::ExpectedSlashOptional,
            a,
            b
        ));
        assert!(!accepted_anyway(
            IssuerComparison::ExpectedSlashOptional,
            b,
            a
        ));
        assert!(accepted_anyway(IssuerComparison::SlashOptional, b, a));
        assert!(accepted_anyway(IssuerComparison::OriginSlashOptional, b, a));
        assert!(!accepted_anyway(
            IssuerComparison::OriginSlashOptional,
            "https://as.example.com/t",
            "https://as.example.com/t/"
        ));
        assert!(!accepted_anyway(
            IssuerComparison::SlashOptional,
            b,
            "https://other.example.com"
        ));
    }
}
