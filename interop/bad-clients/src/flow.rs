//! The client's run: sign in, call `echo` twice, and get a fresh token when the MCP server
//! refuses one, as a conformant client does (or as its fault makes it not).

use std::time::Duration;

use serde_json::Value;

use crate::fault::Fault;
use crate::mcp;
use crate::oauth::{self, Client, Result, Server, Tokens};

/// Attempts a looping client makes after the first refusal; bounded so a test never hangs.
const LOOP_ATTEMPTS: usize = 20;

/// Fresh tokens one call may ask for before it gives up.
const MAX_RECOVERIES: usize = 2;

/// How long past its expiry an idling client waits before its next call, so that the token
/// has expired on the servers' clock too, whatever the rounding of their timestamps.
const PAST_EXPIRY: Duration = Duration::from_secs(1);

pub async fn run(url: &str, fault: Fault) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let challenge = mcp::challenge(&http, url).await?;
    let server = oauth::discover(&http, url, &challenge, fault).await?;
    let client = oauth::register(&http, &server, conformance_context(), fault).await?;
    let tokens = sign_in(&http, &server, &client, fault).await?;
    let mut session = Session {
        http,
        url: url.to_owned(),
        challenge,
        fault,
        server,
        client,
        tokens,
        raced: false,
    };
    for call in 1..=2 {
        if call > 1 && fault.idles() {
            session.idle_past_expiry().await;
        }
        // Refresh first rather than present a token that is about to be refused; the
        // `expired-token` client presents it anyway.
        if session.tokens.expiring() && fault != Fault::ExpiredToken {
            session.renew().await?;
        }
        session.call(call).await?;
    }
    if fault == Fault::NeverExits {
        // The fault: done, but it never exits (the harness's timeout ends it).
        std::future::pending::<()>().await;
    }
    Ok(())
}

/// The Client ID and secret the runner brought, if any.
fn conformance_context() -> (Option<String>, Option<String>) {
    let value: Value = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    (field("client_id"), field("client_secret"))
}

/// Authorization and code exchange: a fresh set of tokens.
async fn sign_in(
    http: &reqwest::Client,
    server: &Server,
    client: &Client,
    fault: Fault,
) -> Result<Tokens> {
    let grant = oauth::authorize(http, server, client, fault).await?;
    oauth::redeem(http, server, client, grant, fault).await
}

struct Session {
    http: reqwest::Client,
    url: String,
    /// The first 401's challenge, whose metadata URL discovery reads again after a refusal.
    challenge: String,
    fault: Fault,
    server: Server,
    client: Client,
    tokens: Tokens,
    /// Whether `racing-refresh` has sent its two racing refreshes.
    raced: bool,
}

impl Session {
    /// One `echo` call; when the token is refused, a fresh token and another try, twice at
    /// most: a token refused again after it was accepted (it expired meanwhile) is renewed
    /// again, and a server that refuses every token still ends the call.
    async fn call(&mut self, call: usize) -> Result<()> {
        let mut recoveries = 0;
        loop {
            let answer = mcp::call_echo(&self.url, &self.tokens.access, call, self.fault).await;
            match answer {
                Ok(()) => return Ok(()),
                Err(refused) if recoveries == MAX_RECOVERIES => return Err(refused),
                Err(_) => {}
            }
            if self.fault == Fault::ReauthorizationLoop {
                return self.reauthorization_loop(call).await;
            }
            self.recover().await?;
            recoveries += 1;
        }
    }

    /// After a refused token: discover again, since the MCP server may have moved to another
    /// authorization server (then register there and sign in), else renew the token.
    async fn recover(&mut self) -> Result<()> {
        let current = oauth::discover(&self.http, &self.url, &self.challenge, self.fault).await?;
        if current.issuer == self.server.issuer {
            return self.renew().await;
        }
        // The fault keeps the Client ID of the old authorization server.
        if self.fault != Fault::KeepsOldRegistration {
            self.client = oauth::register(&self.http, &current, (None, None), self.fault).await?;
        }
        self.server = current;
        self.tokens = sign_in(&self.http, &self.server, &self.client, self.fault).await?;
        Ok(())
    }

    /// A fresh access token: refresh once; when the refresh token is refused (or there is
    /// none), authorize again, once.
    async fn renew(&mut self) -> Result<()> {
        let Some(refresh_token) = self.tokens.refresh.clone() else {
            self.tokens = sign_in(&self.http, &self.server, &self.client, self.fault).await?;
            return Ok(());
        };
        let refreshed = if self.fault == Fault::RacingRefresh && !self.raced {
            self.raced = true;
            self.racing_refreshes(&refresh_token).await?
        } else {
            oauth::refresh(
                &self.http,
                &self.server,
                &self.client,
                &refresh_token,
                self.fault,
            )
            .await?
        };
        self.tokens = match refreshed {
            Ok(mut fresh) => {
                // RFC 6749 §6: without a new refresh token the old one stays valid.
                fresh.refresh.get_or_insert(refresh_token);
                fresh
            }
            Err(error) if self.fault == Fault::RefreshLoop => {
                self.refresh_loop(&refresh_token).await?;
                return Err(format!("the refresh token was refused: {error}"));
            }
            Err(_) => sign_in(&self.http, &self.server, &self.client, self.fault).await?,
        };
        Ok(())
    }

    /// The fault: two refreshes with the same token at once; the first that succeeded wins.
    async fn racing_refreshes(
        &self,
        refresh_token: &str,
    ) -> Result<std::result::Result<Tokens, String>> {
        let once = || {
            oauth::refresh(
                &self.http,
                &self.server,
                &self.client,
                refresh_token,
                self.fault,
            )
        };
        let (first, second) = tokio::join!(once(), once());
        Ok(match (first?, second?) {
            (Ok(tokens), _) | (_, Ok(tokens)) => Ok(tokens),
            (Err(error), Err(_)) => Err(error),
        })
    }

    /// The fault: the refusal is final, but this client asks again and again.
    async fn refresh_loop(&self, refresh_token: &str) -> Result<()> {
        for _ in 0..LOOP_ATTEMPTS {
            let refreshed = oauth::refresh(
                &self.http,
                &self.server,
                &self.client,
                refresh_token,
                self.fault,
            )
            .await?;
            if refreshed.is_ok() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The fault: every refused token sends it back to authorization, without a limit a
    /// person would notice.
    async fn reauthorization_loop(&mut self, call: usize) -> Result<()> {
        for _ in 0..LOOP_ATTEMPTS {
            self.tokens = sign_in(&self.http, &self.server, &self.client, self.fault).await?;
            if mcp::call_echo(&self.url, &self.tokens.access, call, self.fault)
                .await
                .is_ok()
            {
                return Ok(());
            }
        }
        Err(format!(
            "tools/call {call}: the MCP server refused {LOOP_ATTEMPTS} fresh tokens"
        ))
    }

    /// Waits until the access token has expired, as a client left idle does: the servers run
    /// on real time under `test-client`, and nothing can move this process's clock.
    async fn idle_past_expiry(&self) {
        if let Some(expires_at) = self.tokens.expires_at {
            tokio::time::sleep_until((expires_at + PAST_EXPIRY).into()).await;
        }
    }
}
