//! Authorization requests waiting on the consent page for the person's decision.
//!
//! Every authorization request shown the page waits here until its form is posted; a client
//! (or a load of them) that never posts would otherwise grow the map for as long as the mocks
//! run. Past [`PendingConsents::LIMIT`] waiting requests the oldest is dropped: its form is then
//! answered as an unknown request, which says why.

use std::collections::{HashMap, VecDeque};

/// The parameters of a pending authorization request, by name.
pub type Params = HashMap<String, String>;

#[derive(Debug, Default)]
pub struct PendingConsents {
    by_id: HashMap<String, Params>,
    /// Ids in the order they arrived; may hold ids already answered (skipped when dropping).
    order: VecDeque<String>,
    dropped: u64,
}

impl PendingConsents {
    /// Requests waiting at once before the oldest is dropped: far more than people at a
    /// consent page, few enough that the map stays small.
    pub const LIMIT: usize = 10_000;

    pub fn insert(&mut self, id: String, params: Params) {
        while self.by_id.len() >= Self::LIMIT {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if self.by_id.remove(&oldest).is_some() {
                self.dropped += 1;
            }
        }
        // Answered ids linger in `order` until they reach its front; keep it from growing
        // past twice the limit when most requests are answered.
        if self.order.len() >= 2 * Self::LIMIT {
            self.order.retain(|id| self.by_id.contains_key(id));
        }
        self.order.push_back(id.clone());
        self.by_id.insert(id, params);
    }

    /// The request `id` names, taken out: a form is answered once.
    pub fn take(&mut self, id: &str) -> Option<Params> {
        self.by_id.remove(id)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    #[cfg(test)]
    /// How many waiting requests were dropped to stay within [`Self::LIMIT`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: usize) -> Params {
        HashMap::from([("state".to_owned(), n.to_string())])
    }

    #[test]
    fn the_oldest_waiting_request_is_dropped_past_the_limit() {
        let mut pending = PendingConsents::default();
        for n in 0..PendingConsents::LIMIT + 3 {
            pending.insert(format!("c{n}"), params(n));
        }
        assert_eq!(pending.len(), PendingConsents::LIMIT);
        assert_eq!(pending.dropped(), 3);
        assert!(pending.take("c0").is_none());
        assert!(pending.take("c2").is_none());
        assert_eq!(pending.take("c3"), Some(params(3)));
        assert!(pending.take("c3").is_none(), "a form is answered once");
    }

    #[test]
    fn answered_requests_do_not_count_against_the_limit_or_grow_the_order() {
        let mut pending = PendingConsents::default();
        for n in 0..5 * PendingConsents::LIMIT {
            pending.insert(format!("c{n}"), params(n));
            assert!(pending.take(&format!("c{n}")).is_some());
        }
        assert!(pending.is_empty());
        assert_eq!(pending.dropped(), 0);
        assert!(pending.order.len() <= 2 * PendingConsents::LIMIT);
    }
}
