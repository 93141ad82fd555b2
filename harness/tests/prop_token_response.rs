//! The token response reader (RFC 6749 §5.1/§5.2) beyond "never panics" (the module's own
//! proptests): what it reads from any well-formed answer, and what it refuses to believe.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcp_oauth_harness::flow::token_response::{
    Lifetime, MAX_PLAUSIBLE_LIFETIME, ParsedTokenResponse,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

proptest! {
    #[test]
    fn a_conformant_answer_gives_exactly_its_tokens(
        access in "[!-~]{1,64}",
        refresh in prop::option::of("[!-~]{1,64}"),
        lifetime in prop::option::of(0u64..=MAX_PLAUSIBLE_LIFETIME.as_secs()),
        token_type in prop::sample::select(vec!["Bearer", "bearer", "BEARER"]),
    ) {
        let mut body = json!({"access_token": access, "token_type": token_type});
        if let Some(refresh) = &refresh {
            body["refresh_token"] = json!(refresh);
        }
        if let Some(secs) = lifetime {
            body["expires_in"] = json!(secs);
        }
        let parsed = ParsedTokenResponse::parse(200, body.to_string().as_bytes());
        let tokens = parsed.tokens(now()).expect("a 200 Bearer answer gives tokens");
        prop_assert_eq!(tokens.access_token.secret(), &access);
        prop_assert_eq!(tokens.refresh_token.as_ref().map(|t| t.secret().clone()), refresh);
        prop_assert_eq!(tokens.expires_at, lifetime.map(|s| now() + Duration::from_secs(s)));
    }

    #[test]
    fn no_error_status_gives_tokens(status in (100u16..600).prop_filter("not 200", |s| *s != 200), access in "[a-z]{1,20}") {
        let body = json!({"access_token": access, "token_type": "Bearer"}).to_string();
        let parsed = ParsedTokenResponse::parse(status, body.as_bytes());
        prop_assert!(parsed.tokens(now()).is_none());
        // The token is still named, so that it can be redacted.
        prop_assert_eq!(parsed.access_token, Some(access));
    }

    #[test]
    fn a_token_type_other_than_bearer_gives_no_tokens(token_type in "[A-Za-z]{0,12}".prop_filter("not bearer", |t| !t.eq_ignore_ascii_case("bearer"))) {
        let body = json!({"access_token": "abc", "token_type": token_type}).to_string();
        prop_assert!(ParsedTokenResponse::parse(200, body.as_bytes()).tokens(now()).is_none());
    }

    #[test]
    fn negative_fractional_or_textual_lifetimes_are_malformed(
        value in prop_oneof![
            (i64::MIN..0).prop_map(Value::from),
            (0.01f64..1e6).prop_filter("fraction", |f| f.fract() != 0.0).prop_map(Value::from),
            // Text that is not a string of digits (those are read as seconds: see below).
            "[0-9]{0,4}[a-z][0-9a-z]{0,5}".prop_map(Value::from),
            Just(Value::from("")),
            Just(Value::Bool(true)),
            Just(json!([3600])),
        ]
    ) {
        let body = json!({"expires_in": value});
        prop_assert!(matches!(Lifetime::read(&body), Lifetime::Malformed(_)), "{body}");
        prop_assert_eq!(Lifetime::read(&body).expires_at(now()), None);
    }

    #[test]
    fn a_string_of_digits_is_read_as_seconds_but_marked_quoted(secs in 0u64..MAX_PLAUSIBLE_LIFETIME.as_secs()) {
        let body = json!({"expires_in": secs.to_string()});
        prop_assert!(matches!(Lifetime::read(&body), Lifetime::Quoted(s) if s == secs), "{body}");
    }

    #[test]
    fn lifetimes_beyond_ten_years_are_absurd_and_never_overflow(secs in (MAX_PLAUSIBLE_LIFETIME.as_secs() + 1)..=u64::MAX) {
        let body = json!({"expires_in": secs});
        let lifetime = Lifetime::read(&body);
        prop_assert!(matches!(lifetime, Lifetime::Absurd(_)));
        prop_assert_eq!(lifetime.expires_at(now()), None);
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        prop_assert_eq!(Lifetime::Seconds(secs).expires_at(far), far.checked_add(Duration::from_secs(secs)));
    }
}

#[test]
fn missing_fields_give_no_tokens() {
    for body in [
        json!({}),
        json!({"token_type": "Bearer"}),
        json!({"access_token": "abc"}),
        json!({"access_token": 42, "token_type": "Bearer"}),
        json!({"access_token": null, "token_type": "Bearer"}),
    ] {
        let parsed = ParsedTokenResponse::parse(200, body.to_string().as_bytes());
        assert!(parsed.tokens(now()).is_none(), "{body}");
    }
}
