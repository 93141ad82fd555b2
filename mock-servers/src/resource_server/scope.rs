//! Scope checks of the bearer layer (RFC 6749 §3.3 scope strings, RFC 6750 §3.1
//! `insufficient_scope`).

use crate::config::InsufficientScopeChallenge;

/// Whether the space-separated `granted` scope includes every scope of `required`.
pub fn grants(granted: Option<&str>, required: &str) -> bool {
    let granted: Vec<&str> = granted.unwrap_or("").split(' ').collect();
    required
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|s| granted.contains(&s))
}

/// The scope a 403 `insufficient_scope` challenge names for a token whose `granted` scope
/// falls short of `required`.
pub fn challenged<'a>(
    form: InsufficientScopeChallenge,
    granted: Option<&str>,
    required: &'a str,
) -> &'a str {
    match form {
        InsufficientScopeChallenge::Required => required,
        InsufficientScopeChallenge::FirstMissing => required
            .split(' ')
            .filter(|s| !s.is_empty())
            .find(|s| !grants(granted, s))
            .unwrap_or(required),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_scope_must_be_granted() {
        assert!(grants(Some("mcp:tools mcp:admin"), "mcp:admin"));
        assert!(grants(Some("mcp:admin"), "mcp:admin"));
        assert!(!grants(Some("mcp:tools"), "mcp:admin"));
        assert!(!grants(Some("mcp:administrator"), "mcp:admin"));
        assert!(!grants(None, "mcp:admin"));
        assert!(!grants(Some("mcp:admin"), "mcp:admin mcp:tools"));
    }

    #[test]
    fn first_missing_names_one_scope_the_token_lacks() {
        let required = "mcp:admin mcp:audit";
        let first = InsufficientScopeChallenge::FirstMissing;
        assert_eq!(challenged(first, Some("mcp:tools"), required), "mcp:admin");
        assert_eq!(challenged(first, Some("mcp:admin"), required), "mcp:audit");
        assert_eq!(
            challenged(
                InsufficientScopeChallenge::Required,
                Some("mcp:admin"),
                required
            ),
            required
        );
    }
}
