//! Where tokens live between runs. The file is sealed with ChaCha20-Poly1305: refresh tokens are
//! never on disk in plaintext, and any change to the file is detected on load.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};

use crate::flow::token::TokenSet;

#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    #[error("cannot read or write the token store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the token store {path} was modified or was sealed with another key; it cannot be trusted: delete it and reconnect"
    )]
    Tampered { path: PathBuf },
    #[error("the token store {path} is not a token store file: {reason}")]
    Malformed { path: PathBuf, reason: String },
}

/// A 256-bit store key. Its Debug never shows the key.
#[derive(Clone)]
pub struct StoreKey([u8; 32]);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey([redacted])")
    }
}

impl StoreKey {
    pub fn generate() -> Self {
        Self(ChaCha20Poly1305::generate_key(&mut OsRng).into())
    }
}

#[derive(Serialize, Deserialize)]
struct SealedFile {
    version: u32,
    nonce: String,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access_token: String,
    refresh_token: Option<String>,
    expires_at_unix: Option<u64>,
    scope: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
    key: StoreKey,
}

impl TokenStore {
    pub fn new(path: impl Into<PathBuf>, key: StoreKey) -> Self {
        Self {
            path: path.into(),
            key,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.key.0))
    }

    fn io(&self, source: std::io::Error) -> TokenStoreError {
        TokenStoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    pub fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError> {
        let stored = StoredTokens {
            access_token: tokens.access_token.secret().clone(),
            refresh_token: tokens.refresh_token.as_ref().map(|t| t.secret().clone()),
            expires_at_unix: tokens
                .expires_at
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
            scope: tokens.scope.clone(),
        };
        let plaintext = serde_json::to_vec(&stored).map_err(|e| TokenStoreError::Malformed {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher()
            .encrypt(&nonce, plaintext.as_slice())
            .map_err(|_| TokenStoreError::Tampered {
                path: self.path.clone(),
            })?;
        let file = SealedFile {
            version: 1,
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        std::fs::write(&self.path, text).map_err(|e| self.io(e))
    }

    pub fn load(&self) -> Result<TokenSet, TokenStoreError> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| self.io(e))?;
        let malformed = |reason: String| TokenStoreError::Malformed {
            path: self.path.clone(),
            reason,
        };
        let file: SealedFile = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
        if file.version != 1 {
            return Err(malformed(format!("unsupported version {}", file.version)));
        }
        let tampered = || TokenStoreError::Tampered {
            path: self.path.clone(),
        };
        let nonce = STANDARD.decode(&file.nonce).map_err(|_| tampered())?;
        let ciphertext = STANDARD.decode(&file.ciphertext).map_err(|_| tampered())?;
        if nonce.len() != 12 {
            return Err(tampered());
        }
        let plaintext = self
            .cipher()
            .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
            .map_err(|_| tampered())?;
        let stored: StoredTokens =
            serde_json::from_slice(&plaintext).map_err(|e| malformed(e.to_string()))?;
        Ok(TokenSet {
            access_token: AccessToken::new(stored.access_token),
            refresh_token: stored.refresh_token.map(RefreshToken::new),
            expires_at: stored
                .expires_at_unix
                .map(|s| UNIX_EPOCH + Duration::from_secs(s)),
            scope: stored.scope,
        })
    }

    /// Flips one byte of the sealed ciphertext, as an attacker or a disk fault would.
    pub fn tamper(&self) -> Result<(), TokenStoreError> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| self.io(e))?;
        let mut file: SealedFile =
            serde_json::from_str(&text).map_err(|e| TokenStoreError::Malformed {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
        let mut bytes = STANDARD.decode(&file.ciphertext).unwrap_or_default();
        if let Some(first) = bytes.first_mut() {
            *first ^= 0x01;
        }
        file.ciphertext = STANDARD.encode(bytes);
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        std::fs::write(&self.path, text).map_err(|e| self.io(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("access-token-value-123".into()),
            refresh_token: Some(RefreshToken::new("refresh-token-value-456".into())),
            expires_at: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
            scope: Some("mcp:tools".into()),
        }
    }

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "mcp-oauth-store-{}-{name}.json",
            std::process::id()
        ))
    }

    #[test]
    fn round_trips_without_plaintext_on_disk() {
        let store = TokenStore::new(temp_path("rt"), StoreKey::generate());
        store.save(&tokens()).unwrap();
        let raw = std::fs::read_to_string(store.path()).unwrap();
        assert!(
            !raw.contains("refresh-token-value-456") && !raw.contains("access-token-value-123")
        );
        let loaded = store.load().unwrap();
        assert_eq!(
            loaded.refresh_token.unwrap().secret(),
            "refresh-token-value-456"
        );
        let _ = std::fs::remove_file(store.path());
    }

    #[test]
    fn a_flipped_byte_or_another_key_is_detected() {
        let path = temp_path("tamper");
        let store = TokenStore::new(&path, StoreKey::generate());
        store.save(&tokens()).unwrap();
        assert!(matches!(
            TokenStore::new(&path, StoreKey::generate()).load(),
            Err(TokenStoreError::Tampered { .. })
        ));
        store.tamper().unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err, TokenStoreError::Tampered { .. }));
        assert!(err.to_string().contains("reconnect"));
        let _ = std::fs::remove_file(&path);
    }
}
