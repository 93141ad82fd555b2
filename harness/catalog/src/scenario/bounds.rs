//! Every number a scenario file gives, bounded on load: durations (delays, clock jumps,
//! lifetimes) within a century ([`MAX_DURATION_SECS`], the bound the mocks and clocks share),
//! counts within [`MAX_COUNT`], and the script within [`MAX_STEPS`] steps and
//! [`MAX_TRIGGERS`] triggers. Out of bounds, the file is refused naming the line, the field
//! and the bound, instead of a clock that overflows or a run that never ends.

use mcp_oauth_mocks::config::{MAX_COUNT, count_error};
use mcp_oauth_mocks::time_bound::{MAX_DURATION_SECS, bounded_secs};

use super::client::ConformantClient;
use super::model::{Expectations, Scenario};
use super::position::line_of;

/// The most steps a scenario may script (the catalog's longest has 8).
pub const MAX_STEPS: usize = 100;

/// The most triggers a `[conformant-client]` section may have.
pub const MAX_TRIGGERS: usize = 100;

pub(super) fn validate(scenario: &Scenario, text: &str) -> Result<(), String> {
    if scenario.steps.len() > MAX_STEPS {
        return Err(format!(
            "field `steps`: {} steps is more than the {MAX_STEPS} a scenario may script",
            scenario.steps.len()
        ));
    }
    for (index, step) in scenario.steps.iter().enumerate() {
        let line = line_of(text, step.span().start);
        let at = |field: &str, message: String| {
            format!("line {line}: steps[{index}] field `{field}`: {message}")
        };
        let step = step.get_ref();
        duration(step.consent_delay_secs).map_err(|m| at("consent-delay-secs", m))?;
        duration(step.code_redemption_delay_secs)
            .map_err(|m| at("code-redemption-delay-secs", m))?;
        if let Some(seconds) = step.seconds {
            duration(seconds).map_err(|m| at("seconds", m))?;
        }
        if let Some(count) = step.count {
            small_count(count).map_err(|m| at("count", m))?;
        }
        for (grant, &expected) in &step.expect_token_requests {
            expected_count(expected)
                .map_err(|m| at("expect-token-requests", format!("{grant}: {m}")))?;
        }
    }
    if let Some(delay) = scenario.client.client_metadata_document_delay_secs {
        duration(delay)
            .map_err(|m| format!("[client] field `client-metadata-document-delay-secs`: {m}"))?;
    }
    expectations(&scenario.expect, "expect")?;
    if let Some(client) = &scenario.conformant_client {
        conformant_client(client, text)?;
    }
    Ok(())
}

fn expectations(expect: &Expectations, table: &str) -> Result<(), String> {
    for (grant, &expected) in &expect.token_requests {
        expected_count(expected).map_err(|m| format!("[{table}.token-requests] {grant}: {m}"))?;
    }
    let fields = [
        ("authorization-requests", expect.authorization_requests),
        ("registrations", expect.registrations),
        ("document-fetches", expect.document_fetches),
    ];
    for (field, value) in fields {
        if let Some(expected) = value {
            expected_count(expected).map_err(|m| format!("[{table}] field `{field}`: {m}"))?;
        }
    }
    for (name, nested) in &expect.profiles {
        expectations(nested, &format!("{table}.profiles.{name}"))?;
    }
    Ok(())
}

fn conformant_client(client: &ConformantClient, text: &str) -> Result<(), String> {
    if let Some(lifetime) = client.access_token_lifetime_secs {
        duration(lifetime)
            .map_err(|m| format!("[conformant-client] field `access-token-lifetime-secs`: {m}"))?;
    }
    if client.triggers.len() > MAX_TRIGGERS {
        return Err(format!(
            "[conformant-client] field `triggers`: {} triggers is more than the {MAX_TRIGGERS} a scenario may have",
            client.triggers.len()
        ));
    }
    for (index, trigger) in client.triggers.iter().enumerate() {
        let line = line_of(text, trigger.span().start);
        let at = |field: &str, message: String| {
            format!("line {line}: conformant-client.triggers[{index}] field `{field}`: {message}")
        };
        let trigger = trigger.get_ref();
        if let Some(seconds) = trigger.seconds {
            duration(seconds).map_err(|m| at("seconds", m))?;
        }
        if let Some(count) = trigger.count {
            small_count(count).map_err(|m| at("count", m))?;
        }
    }
    Ok(())
}

fn duration(secs: u64) -> Result<(), String> {
    bounded_secs(secs).map(|_| ()).map_err(|e| e.to_string())
}

fn small_count(count: u32) -> Result<(), String> {
    count_error(count).map_or(Ok(()), Err)
}

/// A count a run is expected to reach: no run reaches more than [`MAX_COUNT`].
fn expected_count(count: usize) -> Result<(), String> {
    match u32::try_from(count) {
        Ok(count) => small_count(count),
        Err(_) => Err(format!(
            "{count} is more than the largest count allowed, {MAX_COUNT}"
        )),
    }
}

// A jump of the longest duration, once per step, stays far inside what the clocks hold.
const _: () = assert!(
    MAX_DURATION_SECS
        .checked_mul(MAX_STEPS as u64 * 2)
        .is_some()
);

#[cfg(test)]
mod tests {
    use crate::scenario::parse;

    const MINIMAL: &str = r#"
name = "x"
description = "d"

[[steps]]
action = "connect"
"#;

    #[test]
    fn a_clock_jump_past_a_century_names_line_field_and_bound() {
        let text =
            format!("{MINIMAL}\n[[steps]]\naction = \"advance-clock\"\nseconds = 252000000000\n");
        let err = parse(&text).unwrap_err();
        assert!(
            err.contains("line 8") && err.contains("steps[1] field `seconds`"),
            "{err}"
        );
        assert!(err.contains("100 years (3155760000 s)"), "{err}");
        let century =
            format!("{MINIMAL}\n[[steps]]\naction = \"advance-clock\"\nseconds = 3155760000\n");
        assert!(parse(&century).is_ok());
    }

    #[test]
    fn delays_lifetimes_and_counts_are_bounded_by_name() {
        let cases = [
            (
                format!("{MINIMAL}consent-delay-secs = 3155760001\n"),
                "field `consent-delay-secs`",
            ),
            (
                format!("{MINIMAL}code-redemption-delay-secs = 18446744073709551615\n"),
                "field `code-redemption-delay-secs`",
            ),
            (
                format!(
                    "{MINIMAL}\n[[steps]]\naction = \"fail-next-refreshes\"\ncount = 4000000000\n"
                ),
                "field `count`",
            ),
            (
                format!("{MINIMAL}expect-token-requests = {{ refresh_token = 1001 }}\n"),
                "field `expect-token-requests`",
            ),
            (
                format!("{MINIMAL}\n[expect]\nregistrations = 5000\n"),
                "[expect] field `registrations`",
            ),
            (
                format!("{MINIMAL}\n[expect.token-requests]\nrefresh_token = 9999999\n"),
                "[expect.token-requests] refresh_token",
            ),
            (
                format!(
                    "{MINIMAL}\n[mocks.authorization-server]\naccess-token-lifetime-secs = 9999999999999\n"
                ),
                "access-token-lifetime-secs",
            ),
            (
                format!(
                    "{MINIMAL}\n[conformant-client]\noutcome = \"connects\"\naccess-token-lifetime-secs = 9999999999999\n"
                ),
                "[conformant-client] field `access-token-lifetime-secs`",
            ),
            (
                format!(
                    "{MINIMAL}\n[conformant-client]\noutcome = \"connects\"\n\n[[conformant-client.triggers]]\nafter = \"token-issued\"\nthen = [\"advance-clock\"]\nseconds = 252000000000\n"
                ),
                "conformant-client.triggers[0] field `seconds`",
            ),
        ];
        for (text, named) in cases {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(named), "{named}: {err}");
            assert!(err.contains("100 years") || err.contains("1000"), "{err}");
        }
    }

    #[test]
    fn a_script_longer_than_the_bound_is_refused() {
        let step = "\n[[steps]]\naction = \"test-connection\"\n";
        let text = format!("{MINIMAL}{}", step.repeat(super::MAX_STEPS));
        let err = parse(&text).unwrap_err();
        assert!(
            err.contains("field `steps`") && err.contains("100"),
            "{err}"
        );
        let text = format!("{MINIMAL}{}", step.repeat(super::MAX_STEPS - 1));
        assert!(parse(&text).is_ok());
    }
}
