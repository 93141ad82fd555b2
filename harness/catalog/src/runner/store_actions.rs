//! The token-store actions of a script: save the connection's tokens (encrypted, and proven
//! to hold no plaintext token), and load them back onto the connection.

use serde_json::{Value, json};

use super::STORE_FILE;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::diagnosis::{self, Diagnosis};
use mcp_oauth_engine::flow::{ClientFlow, StepResult};
use mcp_oauth_engine::token_store::{TokenStore, TokenStoreError};

pub(super) fn save_store(flow: &mut ClientFlow, store: &TokenStore) -> StepResult<()> {
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

pub(super) fn load_store(flow: &mut ClientFlow, store: &TokenStore) -> StepResult<()> {
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
pub(super) fn store_error(store: &TokenStore, error: &TokenStoreError) -> String {
    error
        .to_string()
        .replace(&store.path().display().to_string(), STORE_FILE)
}

pub(super) fn store_failure(flow: &mut ClientFlow, message: String) -> Diagnosis {
    flow.record_failure(diagnosis::new(
        diagnosis::TOKEN_STORE_TAMPERED,
        format!("The token store cannot be used: {message}"),
        "Delete the token store and reconnect via OAuth; keep the store key with the store.",
    ))
}
