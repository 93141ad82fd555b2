//! What plays the person at the consent screen.
//!
//! The headless agent loads the authorization URL and reads the redirect without following it:
//! the mocks (and servers that approve without a person) answer with a redirect straight away.

use crate::http::{HttpClient, HttpError};

#[derive(Debug, Clone)]
pub enum UserAgent {
    Headless,
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
    pub async fn authorize(
        &self,
        http: &HttpClient,
        authorization_url: &str,
        redirect_uri: &str,
    ) -> Result<ConsentOutcome, HttpError> {
        match self {
            UserAgent::Headless => headless(http, authorization_url, redirect_uri).await,
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

/// A redirect reaches the callback when everything before its query is the redirect URI.
pub fn is_callback(location: &str, redirect_uri: &str) -> bool {
    let base = location.split(['?', '#']).next().unwrap_or("");
    base == redirect_uri
}
