//! Refresh tokens the server rotated: a client that sends one again, in a later refresh or in
//! one racing the first, has no single flight (RFC 6749 §6: the client MUST discard the old
//! refresh token). A server with reuse detection revokes the whole grant when it sees one
//! (RFC 9700 §4.14.2), so every request waiting on the token fails with it.

use mcp_oauth_mocks::RecordedRequest;
use serde_json::{Value, json};

use super::facts::View;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::recorder::Recorder;

pub fn judge(view: &View, recorder: &mut Recorder) {
    let refreshes: Vec<(usize, &RecordedRequest)> =
        view.refreshes().map(|(i, r, _)| (i, r)).collect();
    let rotations: Vec<(usize, &str)> = refreshes
        .iter()
        .filter_map(|&(i, r)| rotated_away(r).map(|token| (i, token)))
        .collect();
    if rotations.is_empty() {
        recorder.skip(
            &checks::CLIENT_REFRESH_SINGLE_FLIGHT,
            "the server rotated no refresh token of the client (RFC 6749 §6 lets it keep the same one)",
        );
        return;
    }
    // The first successful refresh with a token spends it; every other request with it is a
    // reuse, except an attempt before that one the server answered as unavailable: retrying
    // that is what the client should do.
    let spent_at = |token: &str| {
        rotations
            .iter()
            .find(|&&(_, rotated)| rotated == token)
            .map(|&(at, _)| at)
    };
    let reuses: Vec<usize> = refreshes
        .iter()
        .filter(|&&(i, r)| {
            let Some(spent) = r.form_field("refresh_token").and_then(spent_at) else {
                return false;
            };
            i != spent && !(i < spent && unavailable(r))
        })
        .map(|&(i, _)| i)
        .collect();
    let details = json!({
        "rotations": rotations.len(),
        "refreshes": refreshes.len(),
        "rotatedTokensSentAgain": reuses.len(),
        "requestIndexes": reuses,
    });
    if reuses.is_empty() {
        recorder.pass(&checks::CLIENT_REFRESH_SINGLE_FLIGHT, details);
    } else {
        let raced = reuses.iter().any(|&i| {
            let reuse = &view.input.log[i];
            refreshes
                .iter()
                .any(|&(j, other)| j != i && reuse.overlapped(other))
        });
        recorder.fail(
            &checks::CLIENT_REFRESH_SINGLE_FLIGHT,
            details,
            format!(
                "the client sent a refresh token the server had rotated away {} time(s){}",
                reuses.len(),
                if raced {
                    ", in refreshes that overlapped: the client refreshed concurrently instead of once"
                } else {
                    ""
                }
            ),
        );
    }
}

/// The refresh token a successful refresh rotated away: the one it sent, when the answer
/// carried another.
fn rotated_away(refresh: &RecordedRequest) -> Option<&str> {
    let sent = refresh.form_field("refresh_token")?;
    let issued = refresh
        .response_json
        .as_ref()?
        .get("refresh_token")?
        .as_str()?;
    (refresh.status == 200 && issued != sent).then_some(sent)
}

/// Answered 5xx or `temporarily_unavailable`: nothing was spent, a retry is due.
fn unavailable(refresh: &RecordedRequest) -> bool {
    refresh.status >= 500
        || refresh
            .response_json
            .as_ref()
            .and_then(|j| j.get("error"))
            .and_then(Value::as_str)
            == Some("temporarily_unavailable")
}
