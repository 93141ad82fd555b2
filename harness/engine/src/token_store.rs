//! Where tokens live between runs. The file is sealed with ChaCha20-Poly1305: refresh tokens are
//! never on disk in plaintext, and any change to the file is detected on load.
//!
//! The key is made per run unless one is configured: [`KEY_ENV`] holds it (64 hex digits or
//! base64 of 32 bytes), or [`KEY_FILE_ENV`] names a file holding it that only its owner may
//! read (mode 0600), as ssh insists for private keys.

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

/// The environment variable holding a store key: 32 bytes as 64 hex digits or as base64.
pub const KEY_ENV: &str = "MCP_OAUTH_HARNESS_STORE_KEY";
/// The environment variable naming a key file (mode 0600) that holds the key as [`KEY_ENV`]
/// would.
pub const KEY_FILE_ENV: &str = "MCP_OAUTH_HARNESS_STORE_KEY_FILE";
const KEY_BYTES: usize = 32;

/// A store key that cannot be used. No variant carries the key's text.
#[derive(Debug, thiserror::Error)]
pub enum StoreKeyError {
    #[error(
        "the store key file {path} can be read by others (mode {mode:04o}); a key file must be mode 0600: run `chmod 600 {path}`"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("cannot read the store key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the store key from {origin} is {length} bytes; a store key is 32 bytes, written as 64 hex digits or as base64 (for example `openssl rand -hex 32`)"
    )]
    Length { origin: String, length: usize },
    #[error(
        "the store key from {origin} is neither hex nor base64; write 32 bytes as 64 hex digits or as base64 (for example `openssl rand -hex 32`)"
    )]
    Encoding { origin: String },
    #[error("both {KEY_ENV} and {KEY_FILE_ENV} are set; set only one")]
    TwoSources,
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

    /// A key written as 64 hex digits or as base64 (standard or URL-safe, padded or not) of
    /// 32 bytes; `origin` names where it came from in errors.
    pub fn from_text(origin: &str, text: &str) -> Result<Self, StoreKeyError> {
        let text = text.trim();
        let decoded = decode_hex(text).or_else(|| decode_base64(text));
        let bytes = decoded.ok_or_else(|| StoreKeyError::Encoding {
            origin: origin.to_owned(),
        })?;
        let key: [u8; KEY_BYTES] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| StoreKeyError::Length {
                    origin: origin.to_owned(),
                    length: bytes.len(),
                })?;
        Ok(Self(key))
    }

    /// The key in a key file, which must not be readable or writable by group or others.
    pub fn from_file(path: &Path) -> Result<Self, StoreKeyError> {
        let io = |source| StoreKeyError::Io {
            path: path.to_owned(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(io)?;
        refuse_shared_file(path, &metadata)?;
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::from_text(&path.display().to_string(), &text)
    }

    /// The key configured in the environment ([`KEY_ENV`] or [`KEY_FILE_ENV`]), if any.
    pub fn from_environment() -> Result<Option<Self>, StoreKeyError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// [`from_environment`](Self::from_environment) with `env` standing for the environment.
    pub fn from_lookup(
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, StoreKeyError> {
        match (env(KEY_ENV), env(KEY_FILE_ENV)) {
            (Some(_), Some(_)) => Err(StoreKeyError::TwoSources),
            (Some(text), None) => Self::from_text(KEY_ENV, &text).map(Some),
            (None, Some(path)) => Self::from_file(Path::new(&path)).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The configured key, or a new one for this run only.
    pub fn configured_or_generated() -> Result<Self, StoreKeyError> {
        Ok(Self::from_environment()?.unwrap_or_else(Self::generate))
    }
}

#[cfg(unix)]
fn refuse_shared_file(path: &Path, metadata: &std::fs::Metadata) -> Result<(), StoreKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreKeyError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_shared_file(_: &Path, _: &std::fs::Metadata) -> Result<(), StoreKeyError> {
    Ok(())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
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
        write_private(&self.path, &text).map_err(|e| self.io(e))
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
        // Checked: a stored expiry past what SystemTime can hold is a malformed file, not a
        // panic.
        let expires_at = stored
            .expires_at_unix
            .map(|s| {
                UNIX_EPOCH
                    .checked_add(Duration::from_secs(s))
                    .ok_or_else(|| malformed(format!("the stored expiry {s} is out of range")))
            })
            .transpose()?;
        Ok(TokenSet {
            access_token: AccessToken::new(stored.access_token),
            refresh_token: stored.refresh_token.map(RefreshToken::new),
            expires_at,
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
        write_private(&self.path, &text).map_err(|e| self.io(e))
    }
}

/// Writes `text` to a file only its owner can read: sealed or not, the store is nobody else's.
/// Written beside the store and renamed over it, so a link planted at its path is replaced,
/// never followed.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    crate::private_files::write_replacing(
        path,
        text.as_bytes(),
        crate::private_files::Readers::Owner,
    )
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

    const HEX_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_store_path_is_replaced_and_its_target_left_alone() {
        let dir = crate::private_files::scratch_dir("mcp-oauth-store-test-").unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        let path = dir.path().join("tokens.json");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let store = TokenStore::new(&path, StoreKey::generate());

        store.save(&tokens()).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert!(
            !std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(store.load().is_ok());
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_of_32_bytes() {
        let hex = StoreKey::from_text(KEY_ENV, HEX_KEY).unwrap();
        let b64 = StoreKey::from_text(KEY_ENV, &STANDARD.encode(hex.0)).unwrap();
        assert_eq!(hex.0, b64.0);
        let unpadded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hex.0);
        assert_eq!(StoreKey::from_text(KEY_ENV, &unpadded).unwrap().0, hex.0);
        assert_eq!(format!("{hex:?}"), "StoreKey([redacted])");
    }

    #[test]
    fn a_key_of_the_wrong_length_or_encoding_is_a_clear_error_without_the_key() {
        let short = &HEX_KEY[..32];
        let err = StoreKey::from_text(KEY_ENV, short).unwrap_err().to_string();
        assert!(
            err.contains("is 16 bytes") && err.contains(KEY_ENV),
            "{err}"
        );
        assert!(!err.contains(short), "{err}");
        let err = StoreKey::from_text(KEY_ENV, "not a key at all!")
            .unwrap_err()
            .to_string();
        assert!(err.contains("neither hex nor base64"), "{err}");
        assert!(!err.contains("not a key at all"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_must_be_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_path("keyfile");
        std::fs::write(&path, format!("{HEX_KEY}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = StoreKey::from_file(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("chmod 600") && err.contains("0644"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = StoreKey::from_file(&path).unwrap();
        assert_eq!(key.0[31], 0x1f);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn the_environment_gives_one_key_or_none() {
        let env = |name: &str| (name == KEY_ENV).then(|| HEX_KEY.to_owned());
        assert!(StoreKey::from_lookup(&env).unwrap().is_some());
        assert!(StoreKey::from_lookup(&|_| None).unwrap().is_none());
        let both = |_: &str| Some(HEX_KEY.to_owned());
        assert!(matches!(
            StoreKey::from_lookup(&both),
            Err(StoreKeyError::TwoSources)
        ));
        let missing = |name: &str| (name == KEY_FILE_ENV).then(|| "/nonexistent/key".to_owned());
        let err = StoreKey::from_lookup(&missing).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/key"), "{err}");
    }

    #[test]
    fn a_configured_key_opens_only_its_own_store() {
        let path = temp_path("configured");
        let key = StoreKey::from_text(KEY_ENV, HEX_KEY).unwrap();
        TokenStore::new(&path, key.clone()).save(&tokens()).unwrap();
        let raw = std::fs::read(&path).unwrap();
        for plaintext in [
            "refresh-token-value-456",
            "access-token-value-123",
            "mcp:tools",
        ] {
            assert!(
                !raw.windows(plaintext.len())
                    .any(|w| w == plaintext.as_bytes()),
                "{plaintext} is on disk"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let again = StoreKey::from_text(KEY_ENV, HEX_KEY).unwrap();
        assert!(TokenStore::new(&path, again).load().is_ok());
        assert!(matches!(
            TokenStore::new(&path, StoreKey::generate()).load(),
            Err(TokenStoreError::Tampered { .. })
        ));
        let _ = std::fs::remove_file(&path);
    }
}
