//! Which environment variables a targets or gallery file may name (`client-secret-env`).
//!
//! Such files are meant to be shared, and the value a file names is sent to the server the
//! file names: a file that could name any variable could send `GITHUB_TOKEN` anywhere. So a
//! file reads only names with the fixed prefix `MCP_OAUTH_` (the harness's own settings,
//! `MCP_OAUTH_HARNESS_*`, excepted: the token store key is no client secret), and the exact
//! names the command line allows (`--allow-env NAME`). The rule is applied before any
//! variable is read.

/// The prefix of the names every file may read.
pub const PREFIX: &str = "MCP_OAUTH_";

/// The prefix of the harness's own settings, which a file may not read unless allowed.
const HARNESS_SETTINGS: &str = "MCP_OAUTH_HARNESS_";

/// The rule, as the refusal states it.
pub const RULE: &str = "names MCP_OAUTH_* (other than the harness's own MCP_OAUTH_HARNESS_*) are read; allow others with --allow-env NAME";

/// The names the command line allows beyond the prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedEnv {
    names: Vec<String>,
}

impl AllowedEnv {
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        Self {
            names: names.into_iter().collect(),
        }
    }

    /// Whether a file may name `name`.
    pub fn permits(&self, name: &str) -> bool {
        let prefixed = name.starts_with(PREFIX) && !name.starts_with(HARNESS_SETTINGS);
        prefixed || self.names.iter().any(|allowed| allowed == name)
    }
}

/// Why a file may not name `name`, and the two ways to go on.
pub fn refusal(name: &str) -> String {
    let rename = if name.starts_with(PREFIX) {
        format!("put the secret in another {PREFIX}* variable")
    } else {
        format!("put the secret in {PREFIX}{name}")
    };
    format!(
        "client-secret-env names the environment variable {name}, which a file may not read ({RULE}). To go on, {rename} and name that, or run with --allow-env {name} if this file may send that variable's value to the target."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_prefix_and_names_allowed_by_name_are_read() {
        let none = AllowedEnv::default();
        assert!(none.permits("MCP_OAUTH_X"));
        assert!(none.permits("MCP_OAUTH_GLOBEX_SECRET"));
        assert!(!none.permits("HOME"));
        assert!(!none.permits("GITHUB_TOKEN"));
        assert!(
            !none.permits("mcp_oauth_x"),
            "names are exact, case included"
        );
        assert!(!none.permits("MCP_OAUTHX"));
        assert!(!none.permits("MCP_OAUTH_HARNESS_STORE_KEY"));

        let allowed = AllowedEnv::new(["GLOBEX_SECRET".to_owned()]);
        assert!(allowed.permits("GLOBEX_SECRET"));
        assert!(
            !allowed.permits("GLOBEX_SECRET_2"),
            "an exact name, not a prefix"
        );
        assert!(!allowed.permits("HOME"));
        assert!(allowed.permits("MCP_OAUTH_X"));

        let store_key = AllowedEnv::new(["MCP_OAUTH_HARNESS_STORE_KEY".to_owned()]);
        assert!(store_key.permits("MCP_OAUTH_HARNESS_STORE_KEY"));
    }

    #[test]
    fn the_refusal_names_the_variable_the_rule_and_both_fixes() {
        let text = refusal("HOME");
        assert!(text.contains("HOME"), "{text}");
        assert!(text.contains(RULE), "{text}");
        assert!(text.contains("MCP_OAUTH_HOME"), "{text}");
        assert!(text.contains("--allow-env HOME"), "{text}");
        let text = refusal("MCP_OAUTH_HARNESS_STORE_KEY");
        assert!(!text.contains("MCP_OAUTH_MCP_OAUTH_"), "{text}");
    }
}
