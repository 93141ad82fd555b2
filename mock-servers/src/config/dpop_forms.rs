//! The DPoP knobs' forms (RFC 9449) and the rules that tie them together.

use serde::{Deserialize, Serialize};

use super::{AuthServerConfig, ConfigError, ResourceServerConfig};

/// Whether a server demands a DPoP nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DpopNonce {
    /// No nonce is demanded.
    #[default]
    None,
    /// A proof must carry the server's current nonce; one without it is answered
    /// `use_dpop_nonce` with the nonce in `DPoP-Nonce`.
    Required,
    /// Every proof is answered `use_dpop_nonce` with a new nonce, even one carrying the nonce
    /// just issued: a server no client can satisfy, which a client must not retry forever.
    NeverSatisfied,
}

pub(super) fn validate(
    auth: &AuthServerConfig,
    resource: &ResourceServerConfig,
) -> Result<(), ConfigError> {
    if auth.dpop_nonce != DpopNonce::None && !auth.dpop {
        return Err(ConfigError::new(
            "authorization-server.dpop-nonce",
            "needs authorization-server.dpop = true",
        ));
    }
    if resource.dpop_nonce != DpopNonce::None && !resource.require_dpop {
        return Err(ConfigError::new(
            "resource-server.dpop-nonce",
            "needs resource-server.require-dpop = true",
        ));
    }
    let lax = [
        (
            resource.accept_replayed_dpop_proofs,
            "resource-server.accept-replayed-dpop-proofs",
        ),
        (
            resource.skip_dpop_htu_check,
            "resource-server.skip-dpop-htu-check",
        ),
        (
            resource.accept_dpop_tokens_as_bearer,
            "resource-server.accept-dpop-tokens-as-bearer",
        ),
    ];
    if let Some((_, knob)) = lax.iter().find(|(on, _)| *on && !resource.require_dpop) {
        return Err(ConfigError::new(
            knob,
            "needs resource-server.require-dpop = true",
        ));
    }
    if resource.require_dpop && !auth.dpop {
        return Err(ConfigError::new(
            "resource-server.require-dpop",
            "needs authorization-server.dpop = true (bound tokens come from it)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::MockConfig;

    #[test]
    fn dpop_knobs_need_each_other() {
        let parse = |text: &str| serde_json::from_str::<MockConfig>(text).unwrap().validate();
        let err = parse(r#"{"authorization-server": {"dpop-nonce": "required"}}"#).unwrap_err();
        assert_eq!(err.knob, "authorization-server.dpop-nonce");
        let err = parse(r#"{"resource-server": {"require-dpop": true}}"#).unwrap_err();
        assert_eq!(err.knob, "resource-server.require-dpop");
        let err = parse(
            r#"{"authorization-server": {"dpop": true}, "resource-server": {"dpop-nonce": "required"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.knob, "resource-server.dpop-nonce");
        parse(
            r#"{"authorization-server": {"dpop": true, "dpop-nonce": "never-satisfied"}, "resource-server": {"require-dpop": true, "dpop-nonce": "required"}}"#,
        )
        .unwrap();
        assert!(
            serde_json::from_str::<MockConfig>(
                r#"{"authorization-server": {"dpop-nonce": "sometimes"}}"#
            )
            .is_err()
        );
    }
}
