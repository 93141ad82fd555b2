//! What plays the person at the consent screen.
//!
//! - [`UserAgent::Headless`] loads the authorization URL and reads the redirect without
//!   following it: the mocks (and servers that approve without a person) answer with a redirect
//!   straight away.
//! - [`UserAgent::Browser`] opens the system browser at the authorization URL and waits for the
//!   redirect on a loopback listener, `http://127.0.0.1:PORT/callback` (RFC 8252 §7.3).
//! - [`UserAgent::Command`] runs a program with the authorization URL as its last argument (a
//!   browser-automation script, say) and waits on the same loopback listener.
//!
//! The listener answers only `GET /callback` with an authorization response (a `code` or an
//! `error`); every other path is a 404. Its wait is bounded by a timeout, so a consent that
//! never finishes ends the step instead of hanging the run.

use std::process::Stdio;
use std::time::Duration;

use url::Url;

use crate::http::{HttpClient, HttpError};

mod callback_listener;
pub mod loopback_uri;
pub use callback_listener::{CallbackWaiter, LoopbackCallback};
pub use loopback_uri::{LoopbackHost, LoopbackUri};

/// The loopback port the client's callback listens on unless told otherwise.
pub const DEFAULT_CALLBACK_PORT: u16 = 33418;
/// The path of the callback on the loopback listener.
pub const CALLBACK_PATH: &str = "/callback";

#[derive(Debug, Clone)]
pub enum UserAgent {
    Headless,
    /// The system browser, with the loopback listener waiting up to `timeout` for the redirect.
    Browser {
        callback: LoopbackCallback,
        timeout: Duration,
    },
    /// `program args... AUTHORIZATION_URL`, with the loopback listener waiting up to `timeout`.
    Command {
        program: String,
        args: Vec<String>,
        callback: LoopbackCallback,
        timeout: Duration,
    },
}

/// What came back from the consent step.
#[derive(Debug, Clone)]
pub enum ConsentOutcome {
    /// The authorization server redirected to the callback: the full callback URL.
    Callback(String),
    /// A redirect somewhere other than the callback.
    RedirectElsewhere { location: String },
    /// The server showed a page instead of redirecting (an error, or a login form).
    Page { status: u16, body: String },
}

impl UserAgent {
    /// The loopback listener of an agent that waits for the redirect, if it has one.
    pub fn callback(&self) -> Option<&LoopbackCallback> {
        match self {
            UserAgent::Headless => None,
            UserAgent::Browser { callback, .. } | UserAgent::Command { callback, .. } => {
                Some(callback)
            }
        }
    }

    /// True when a person (or a program standing in for one) takes part.
    pub fn is_interactive(&self) -> bool {
        self.callback().is_some()
    }

    pub async fn authorize(
        &self,
        http: &HttpClient,
        authorization_url: &str,
        redirect_uri: &str,
    ) -> Result<ConsentOutcome, HttpError> {
        match self {
            UserAgent::Headless => headless(http, authorization_url, redirect_uri).await,
            UserAgent::Browser { callback, timeout } => {
                browser(callback, *timeout, authorization_url, redirect_uri).await
            }
            UserAgent::Command {
                program,
                args,
                callback,
                timeout,
            } => {
                command(
                    program,
                    args,
                    callback,
                    *timeout,
                    authorization_url,
                    redirect_uri,
                )
                .await
            }
        }
    }
}

async fn headless(
    http: &HttpClient,
    authorization_url: &str,
    redirect_uri: &str,
) -> Result<ConsentOutcome, HttpError> {
    let response = http.get("authorization", authorization_url).await?;
    let location = response.header("location").map(str::to_owned);
    match (response.status.is_redirection(), location) {
        (true, Some(location)) if is_callback(&location, redirect_uri) => {
            Ok(ConsentOutcome::Callback(location))
        }
        (true, Some(location)) => Ok(ConsentOutcome::RedirectElsewhere { location }),
        _ => Ok(ConsentOutcome::Page {
            status: response.status.as_u16(),
            body: response.text(),
        }),
    }
}

async fn browser(
    callback: &LoopbackCallback,
    timeout: Duration,
    authorization_url: &str,
    redirect_uri: &str,
) -> Result<ConsentOutcome, HttpError> {
    let mut waiter = callback.listen().await?;
    eprintln!(
        "Opening the system browser for consent. If it does not open, visit:\n\n  {authorization_url}\n\nWaiting up to {} s for the redirect to {redirect_uri} ...",
        timeout.as_secs()
    );
    let url = authorization_url.to_owned();
    // Text-mode browsers block until they exit: open it on a thread of its own that nothing
    // waits for; only the redirect (or the timeout) ends the step.
    std::thread::spawn(move || {
        if let Err(e) = webbrowser::open(&url) {
            eprintln!("Could not open a browser ({e}); open the URL above yourself.");
        }
    });
    match waiter.wait(timeout).await {
        Some(url) => Ok(ConsentOutcome::Callback(url)),
        None => Err(no_callback(redirect_uri, timeout)),
    }
}

async fn command(
    program: &str,
    args: &[String],
    callback: &LoopbackCallback,
    timeout: Duration,
    authorization_url: &str,
    redirect_uri: &str,
) -> Result<ConsentOutcome, HttpError> {
    let mut waiter = callback.listen().await?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .arg(authorization_url)
        .stdin(Stdio::null())
        // Whatever the command prints must not mix with a report on stdout.
        .stdout(Stdio::from(std::io::stderr()))
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| HttpError::Consent {
            reason: format!("cannot run the authorization command {program:?}: {e}"),
        })?;
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut exited = false;
    loop {
        tokio::select! {
            url = waiter.next() => {
                let Some(url) = url else {
                    return Err(no_callback(redirect_uri, timeout));
                };
                // Let the command finish on its own for a moment; it is killed when dropped.
                let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
                return Ok(ConsentOutcome::Callback(url));
            }
            status = child.wait(), if !exited => match status {
                // It may have only handed the URL to a browser: keep waiting for the redirect.
                Ok(status) if status.success() => exited = true,
                Ok(status) => {
                    if let Some(url) = waiter.try_next() {
                        return Ok(ConsentOutcome::Callback(url));
                    }
                    return Err(HttpError::Consent {
                        reason: format!(
                            "the authorization command {program:?} exited with {status} before the redirect reached {redirect_uri}"
                        ),
                    });
                }
                Err(e) => {
                    return Err(HttpError::Consent {
                        reason: format!("cannot wait for the authorization command {program:?}: {e}"),
                    });
                }
            },
            () = &mut deadline => return Err(no_callback(redirect_uri, timeout)),
        }
    }
}

fn no_callback(redirect_uri: &str, timeout: Duration) -> HttpError {
    HttpError::Consent {
        reason: format!(
            "no authorization response reached {redirect_uri} within {} s (the consent was not finished, or the authorization server redirected elsewhere); allow more time or try again",
            timeout.as_secs()
        ),
    }
}

/// A redirect reaches the callback when everything before its query is the redirect URI.
pub fn is_callback(location: &str, redirect_uri: &str) -> bool {
    let base = location.split(['?', '#']).next().unwrap_or("");
    base == redirect_uri
}

/// Splits an `--authorize-with` command line into program and arguments, as a POSIX shell
/// would (quotes and backslashes), without running a shell.
pub fn split_command(line: &str) -> Result<(String, Vec<String>), String> {
    let words = shlex::split(line)
        .ok_or_else(|| format!("cannot split {line:?} into words: unbalanced quotes"))?;
    let mut words = words.into_iter();
    let program = words
        .next()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| "the authorization command is empty".to_owned())?;
    Ok((program, words.collect()))
}

/// What [`follow_redirects`] ended on.
#[derive(Debug, Clone)]
pub struct FollowOutcome {
    /// Every URL loaded, redacted, in order.
    pub visited: Vec<String>,
    pub final_status: u16,
}

/// Loads a URL and follows its redirects, at most `max_hops` of them, the way a browser would
/// for a consent that needs no person: the last hop is normally the loopback callback. A
/// stand-in for a person, for `--authorize-with` against servers that approve on their own.
///
/// Every hop is judged by the address policy of the authorization URL, as the flow's own
/// requests are by the MCP server's: a public authorization server cannot redirect the helper
/// into loopback or private addresses. The one exception is the hop to the `redirect_uri` the
/// authorization URL itself names, when that is a loopback callback: it is where the consent
/// is meant to end.
pub async fn follow_redirects(
    http: &HttpClient,
    url: &str,
    max_hops: usize,
) -> Result<FollowOutcome, HttpError> {
    let policed = http.clone().for_target(url);
    let callback = loopback_redirect_uri(url);
    let mut current = url.to_owned();
    let mut visited = Vec::new();
    for _ in 0..=max_hops {
        visited.push(http.redactor().url(&current));
        let to_callback = callback
            .as_deref()
            .is_some_and(|uri| current != url && is_callback(&current, uri));
        let response = if to_callback {
            // The callback judged as a target of its own: a loopback listener may be reached.
            http.clone()
                .for_target(&current)
                .get("consent", &current)
                .await?
        } else {
            policed.get("consent", &current).await?
        };
        let location = response.header("location").map(str::to_owned);
        match (response.status.is_redirection(), location) {
            (true, Some(location)) => {
                let next = Url::parse(&current)
                    .and_then(|base| base.join(&location))
                    .map_err(|e| HttpError::Build {
                        url: http.redactor().url(&location),
                        reason: e.to_string(),
                    })?;
                current = next.to_string();
            }
            _ => {
                return Ok(FollowOutcome {
                    visited,
                    final_status: response.status.as_u16(),
                });
            }
        }
    }
    Err(HttpError::Consent {
        reason: format!("more than {max_hops} redirects"),
    })
}

/// The `redirect_uri` an authorization URL names, when it is a loopback callback.
fn loopback_redirect_uri(authorization_url: &str) -> Option<String> {
    let url = Url::parse(authorization_url).ok()?;
    let (_, uri) = url.query_pairs().find(|(name, _)| name == "redirect_uri")?;
    loopback_uri::parse(&uri).ok().map(|_| uri.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell_would() {
        assert_eq!(
            split_command("node 'consent script.js' --user \"a b\"").unwrap(),
            (
                "node".to_owned(),
                vec![
                    "consent script.js".to_owned(),
                    "--user".to_owned(),
                    "a b".to_owned()
                ]
            )
        );
        assert!(split_command("").is_err());
        assert!(split_command("open 'unbalanced").is_err());
    }

    #[test]
    fn the_callback_is_recognised_by_everything_before_the_query() {
        let uri = "http://127.0.0.1:33418/callback";
        assert!(is_callback(&format!("{uri}?code=x&state=y"), uri));
        assert!(is_callback(uri, uri));
        assert!(!is_callback(
            "http://127.0.0.1:33418/callback/evil?code=x",
            uri
        ));
        assert!(!is_callback("https://login.example/consent", uri));
    }

    mod follow {
        use wiremock::matchers::{method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};

        use super::super::*;
        use crate::http::HttpLimits;
        use crate::redact::Redactor;

        const PUBLIC_NAME: &str = "auth.vendor.example";

        /// An authorization server with a public-looking name (resolved to a loopback mock),
        /// whose `/authorize` redirects to `location`, and the authorization URL naming
        /// `callback` as its redirect URI.
        async fn redirecting_to(
            location: &str,
            callback: &str,
        ) -> (MockServer, HttpClient, String) {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/authorize"))
                .respond_with(ResponseTemplate::new(302).insert_header("location", location))
                .mount(&server)
                .await;
            let http = HttpClient::with_resolved(
                HttpLimits::default(),
                Redactor::default(),
                &[(PUBLIC_NAME, *server.address())],
            )
            .unwrap();
            let port = server.address().port();
            let redirect_uri: String =
                url::form_urlencoded::byte_serialize(callback.as_bytes()).collect();
            let authorization_url = format!(
                "http://{PUBLIC_NAME}:{port}/authorize?response_type=code&redirect_uri={redirect_uri}"
            );
            (server, http, authorization_url)
        }

        #[tokio::test]
        async fn a_public_server_cannot_redirect_the_helper_into_loopback() {
            let internal = MockServer::start().await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(200))
                .expect(0)
                .mount(&internal)
                .await;
            let target = format!("{}/admin", internal.uri());
            let (_server, http, authorization_url) =
                redirecting_to(&target, "http://127.0.0.1:33418/callback").await;
            let error = follow_redirects(&http, &authorization_url, 5)
                .await
                .unwrap_err();
            assert!(matches!(error, HttpError::PrivateAddress { .. }), "{error}");
            internal.verify().await;
        }

        #[tokio::test]
        async fn the_loopback_callback_the_authorization_url_names_is_reached() {
            let listener = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/callback"))
                .respond_with(ResponseTemplate::new(200))
                .expect(1)
                .mount(&listener)
                .await;
            let callback = format!("{}/callback", listener.uri());
            let (_server, http, authorization_url) =
                redirecting_to(&format!("{callback}?code=abc&state=xyz"), &callback).await;
            let outcome = follow_redirects(&http, &authorization_url, 5)
                .await
                .unwrap();
            assert_eq!(outcome.final_status, 200);
            assert_eq!(outcome.visited.len(), 2);
            listener.verify().await;
        }
    }

    #[tokio::test]
    async fn a_port_zero_callback_holds_a_free_port() {
        let callback = LoopbackCallback::new(0).unwrap();
        assert_ne!(callback.port(), 0);
        assert_eq!(
            callback.redirect_uri(),
            format!("http://127.0.0.1:{}/callback", callback.port())
        );
        // Held: nobody else can bind it while the callback lives.
        assert!(std::net::TcpListener::bind(("127.0.0.1", callback.port())).is_err());
    }
}
