//! Access tokens whose signature this server has already checked, so that each MCP request of a
//! session (initialize, the notification, every call, the DELETE) does not verify the same
//! Ed25519 signature again: that verification was the largest single cost of a scenario run.
//!
//! Only the signature is remembered. Issuer, expiry, audience, scope and revocation are judged
//! again on every request, against the clock and the state of that moment. A change of the
//! trusted authorization server forgets everything, and a token verified under the old trust
//! while the change happened is not remembered.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::token::Claims;

/// More distinct tokens than any client presents in a run; past it the memory starts again, so
/// a client sending endless valid tokens cannot grow it.
const CAPACITY: usize = 4096;

#[derive(Default)]
pub(super) struct VerifiedTokens {
    state: Mutex<State>,
}

/// The tokens are secrets: a debug print of the server says how many it remembers, never
/// which.
impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("VerifiedTokens")
            .field("generation", &state.generation)
            .field("remembered", &state.claims.len())
            .finish()
    }
}

#[derive(Default)]
struct State {
    /// Bumped at each change of trust.
    generation: u64,
    claims: HashMap<String, Claims>,
}

impl VerifiedTokens {
    /// The generation to hand back to [`remember`](Self::remember): read before the trust the
    /// signature is checked against.
    pub(super) fn generation(&self) -> u64 {
        self.lock().generation
    }

    pub(super) fn get(&self, token: &str) -> Option<Claims> {
        self.lock().claims.get(token).cloned()
    }

    /// Remembers a token verified under the trust of `generation`, unless the trust has
    /// changed since.
    pub(super) fn remember(&self, generation: u64, token: &str, claims: &Claims) {
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        if state.claims.len() >= CAPACITY {
            state.claims.clear();
        }
        state.claims.insert(token.to_owned(), claims.clone());
    }

    /// The trust changed: nothing verified before counts.
    pub(super) fn forget_all(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.claims.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        serde_json::from_value(serde_json::json!({ "iss": "https://as.example", "exp": 10 }))
            .unwrap()
    }

    #[test]
    fn a_token_verified_before_a_change_of_trust_is_not_remembered() {
        let verified = VerifiedTokens::default();
        let before = verified.generation();
        verified.remember(before, "t1", &claims());
        assert!(verified.get("t1").is_some());
        verified.forget_all();
        assert!(verified.get("t1").is_none(), "a change of trust forgets");
        verified.remember(before, "t2", &claims());
        assert!(
            verified.get("t2").is_none(),
            "checked against the old trust while it changed"
        );
    }

    #[test]
    fn a_debug_print_names_no_token() {
        let verified = VerifiedTokens::default();
        verified.remember(verified.generation(), "eyJsecret-token", &claims());
        let printed = format!("{verified:?}");
        assert!(!printed.contains("eyJsecret-token"), "{printed}");
        assert!(printed.contains("remembered: 1"), "{printed}");
    }

    #[test]
    fn the_memory_is_bounded() {
        let verified = VerifiedTokens::default();
        let generation = verified.generation();
        for i in 0..=CAPACITY {
            verified.remember(generation, &format!("t{i}"), &claims());
        }
        assert!(verified.lock().claims.len() <= CAPACITY);
    }
}
