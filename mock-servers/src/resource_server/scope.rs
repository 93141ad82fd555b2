//! Scope checks of the bearer layer (RFC 6749 §3.3 scope strings, RFC 6750 §3.1
//! `insufficient_scope`).

/// Whether the space-separated `granted` scope includes every scope of `required`.
pub fn grants(granted: Option<&str>, required: &str) -> bool {
    let granted: Vec<&str> = granted.unwrap_or("").split(' ').collect();
    required
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|s| granted.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::grants;

    #[test]
    fn every_required_scope_must_be_granted() {
        assert!(grants(Some("mcp:tools mcp:admin"), "mcp:admin"));
        assert!(grants(Some("mcp:admin"), "mcp:admin"));
        assert!(!grants(Some("mcp:tools"), "mcp:admin"));
        assert!(!grants(Some("mcp:administrator"), "mcp:admin"));
        assert!(!grants(None, "mcp:admin"));
        assert!(!grants(Some("mcp:admin"), "mcp:admin mcp:tools"));
    }
}
