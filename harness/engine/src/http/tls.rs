//! Naming a failed TLS handshake. reqwest reports one as a connect error whose text is the
//! rustls error's debug form (`invalid peer certificate: UnknownIssuer`); the source chain
//! holds the rustls error itself, which says what was wrong with the certificate. The client
//! offers no way to skip these checks: a refused certificate ends the request.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use rustls::pki_types::UnixTime;
use rustls::{CertificateError, Error as TlsError};

use crate::timestamp::{self, Precision};

/// The human reason of the first rustls error in `error`'s source chain, if there is one.
pub fn reason(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(tls) = rustls_error(error) {
            return Some(describe(tls));
        }
        current = error.source();
    }
    None
}

/// The rustls error this error is, or wraps in `io::Error`s (reqwest's connector hands
/// rustls's errors on so, one `io::Error` inside another; `io::Error::source` skips the
/// wrapped error itself, so each is opened here).
fn rustls_error<'a>(mut error: &'a (dyn StdError + 'static)) -> Option<&'a TlsError> {
    loop {
        if let Some(tls) = error.downcast_ref::<TlsError>() {
            return Some(tls);
        }
        let inner = error.downcast_ref::<std::io::Error>()?.get_ref()?;
        error = inner;
    }
}

/// What the error says, in words a person acting on it needs.
pub fn describe(error: &TlsError) -> String {
    match error {
        TlsError::InvalidCertificate(certificate) => certificate_reason(certificate),
        TlsError::AlertReceived(alert) => {
            format!("the server ended the TLS handshake with the alert {alert:?}")
        }
        TlsError::PeerIncompatible(why) => {
            format!("the server offers no TLS version or cipher this client accepts ({why:?})")
        }
        other => format!("the TLS handshake failed: {other}"),
    }
}

fn certificate_reason(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => "its certificate is not issued by an authority this client trusts: it is self-signed, or its issuer is unknown (or the server sent no intermediate certificates)".to_owned(),
        CertificateError::Expired => "its certificate has expired".to_owned(),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("its certificate has expired: it was valid until {}", time(*not_after))
        }
        CertificateError::NotValidYet => "its certificate is not valid yet".to_owned(),
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!("its certificate is not valid yet: it is valid from {}", time(*not_before))
        }
        CertificateError::NotValidForName => {
            "its certificate does not name this host (host name mismatch)".to_owned()
        }
        CertificateError::NotValidForNameContext { expected, presented } => {
            let presented = if presented.is_empty() {
                "no name".to_owned()
            } else {
                // A hostile certificate may name thousands: a few say enough.
                let mut shown: Vec<&str> = presented.iter().take(5).map(String::as_str).collect();
                if presented.len() > shown.len() {
                    shown.push("…");
                }
                shown.join(", ")
            };
            format!(
                "its certificate does not name {} (host name mismatch): it is for {presented}",
                expected.to_str()
            )
        }
        CertificateError::Revoked => "its certificate has been revoked".to_owned(),
        CertificateError::BadSignature => {
            "its certificate's signature does not verify".to_owned()
        }
        CertificateError::BadEncoding => "its certificate is not a valid X.509 certificate".to_owned(),
        other => format!("its certificate was refused: {other}"),
    }
}

fn time(at: UnixTime) -> String {
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(at.as_secs()));
    at.map_or_else(
        || "a time past the end of the clock".to_owned(),
        |at| timestamp::rfc3339(at, Precision::Seconds),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    #[test]
    fn certificate_errors_are_named() {
        let unknown = TlsError::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(describe(&unknown).contains("self-signed"));
        let expired = TlsError::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_600_000_000)),
        });
        assert!(
            describe(&expired).contains("expired: it was valid until 2020-09-13T12:26:40Z"),
            "{}",
            describe(&expired)
        );
        let name = TlsError::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("127.0.0.1").unwrap(),
            presented: (0..9).map(|i| format!("h{i}.test")).collect(),
        });
        let text = describe(&name);
        assert!(text.contains("host name mismatch"), "{text}");
        assert!(text.contains("does not name 127.0.0.1"), "{text}");
        assert!(text.ends_with("h4.test, …"), "{text}");
    }

    #[test]
    fn certificate_dates_past_year_9999_are_written_without_a_panic() {
        let far = TlsError::InvalidCertificate(CertificateError::NotValidYetContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000)),
            not_before: UnixTime::since_unix_epoch(Duration::from_secs(u64::MAX / 2)),
        });
        let text = describe(&far);
        assert!(text.contains("9999-12-31T23:59:59Z"), "{text}");
    }

    #[test]
    fn a_rustls_error_inside_an_io_error_is_found() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            TlsError::InvalidCertificate(CertificateError::Expired),
        );
        assert_eq!(reason(&io).as_deref(), Some("its certificate has expired"));
        let twice = std::io::Error::other(io);
        assert_eq!(
            reason(&twice).as_deref(),
            Some("its certificate has expired")
        );
        let plain = std::io::Error::other("connection refused");
        assert_eq!(reason(&plain), None);
    }
}
