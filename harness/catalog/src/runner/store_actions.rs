//! The token-store actions of a script: save the connection's tokens (encrypted, and proven
//! to hold no plaintext token), and load them back onto the connection.

use serde_json::{Value, json};

use super::STORE_FILE;
use crate::scenario::{ActionKind, Scenario};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::diagnosis::{self, Diagnosis};
use mcp_oauth_engine::flow::{ClientFlow, StepResult};
use mcp_oauth_engine::token_store::{TokenStore, TokenStoreError};

/// Whether the script saves, tampers with or loads a token store: only such runs make one.
pub(super) fn uses_token_store(scenario: &Scenario) -> bool {
    scenario.steps.iter().any(|step| {
        matches!(
            step.get_ref().action,
            ActionKind::SaveTokenStore | ActionKind::TamperTokenStore | ActionKind::LoadTokenStore
        )
    })
}

/// The run's store, made for every script that has a store action; a step without one (a
/// scenario built in code past [`uses_token_store`]) fails as an unusable store would.
fn made<'a>(flow: &mut ClientFlow, store: Option<&'a TokenStore>) -> StepResult<&'a TokenStore> {
    store.ok_or_else(|| store_failure(flow, "this run has no token store".to_owned()))
}

pub(super) fn save_store(flow: &mut ClientFlow, store: Option<&TokenStore>) -> StepResult<()> {
    let store = made(flow, store)?;
    let Some(tokens) = flow.tokens().cloned() else {
        return Err(flow.record_failure(diagnosis::new(
            diagnosis::NOT_CONNECTED,
            "There are no tokens to store yet.",
            "Connect via OAuth first.",
        )));
    };
    if let Some(dir) = store.path().parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            store_failure(
                flow,
                format!("cannot create the token store directory: {e}"),
            )
        })?;
    }
    store
        .save(&tokens)
        .map_err(|e| store_failure(flow, store_error(store, &e)))?;
    let raw = std::fs::read_to_string(store.path()).unwrap_or_default();
    let mut leaked = Vec::new();
    if raw.contains(tokens.access_token.secret().as_str()) {
        leaked.push("access token");
    }
    if let Some(refresh) = &tokens.refresh_token
        && raw.contains(refresh.secret().as_str())
    {
        leaked.push("refresh token");
    }
    let recorder = &mut flow.context().recorder;
    if leaked.is_empty() {
        recorder.pass(
            &checks::TOKEN_STORE_ENCRYPTED,
            json!({ "cipher": "ChaCha20-Poly1305", "plaintextTokensOnDisk": 0 }),
        );
        Ok(())
    } else {
        recorder.fail(
            &checks::TOKEN_STORE_ENCRYPTED,
            json!({ "plaintextOnDisk": leaked }),
            format!("the store file holds a plaintext {}", leaked.join(" and ")),
        );
        Err(store_failure(
            flow,
            "tokens are stored in plaintext".to_owned(),
        ))
    }
}

pub(super) fn tamper_store(flow: &mut ClientFlow, store: Option<&TokenStore>) -> StepResult<()> {
    let store = made(flow, store)?;
    store
        .tamper()
        .map_err(|e| store_failure(flow, store_error(store, &e)))
}

pub(super) fn load_store(flow: &mut ClientFlow, store: Option<&TokenStore>) -> StepResult<()> {
    let store = made(flow, store)?;
    match store.load() {
        Ok(tokens) => {
            flow.context()
                .recorder
                .pass(&checks::TOKEN_STORE_INTEGRITY, Value::Null);
            flow.restore_tokens(tokens);
            Ok(())
        }
        Err(e) => {
            let error = store_error(store, &e);
            flow.context().recorder.fail(
                &checks::TOKEN_STORE_INTEGRITY,
                json!({ "error": error }),
                error.clone(),
            );
            Err(store_failure(flow, error))
        }
    }
}

/// The error as a report shows it: the run's temporary directory is volatile, so the store is
/// named by its file name alone.
fn store_error(store: &TokenStore, error: &TokenStoreError) -> String {
    error
        .to_string()
        .replace(&store.path().display().to_string(), STORE_FILE)
}

fn store_failure(flow: &mut ClientFlow, message: String) -> Diagnosis {
    flow.record_failure(diagnosis::new(
        diagnosis::TOKEN_STORE_TAMPERED,
        format!("The token store cannot be used: {message}"),
        "Delete the token store and reconnect via OAuth; keep the store key with the store.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::CatalogSource;

    #[test]
    fn only_scripts_with_a_store_action_make_a_store() {
        let catalog = CatalogSource::Embedded.load_all().unwrap();
        let named = |name: &str| catalog.iter().find(|s| s.name == name).unwrap();
        assert!(uses_token_store(named("refresh-token-encrypted")));
        assert!(!uses_token_store(named("dcr-happy-path")));
    }
}
