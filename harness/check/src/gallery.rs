//! A gallery entry against live discovery: each promise the entry makes (pinned endpoints, its
//! flow, its scope, its issuer, its URL) compared with what the server announces now. Drift is
//! a FAILURE whose remedy names the entry's field to change; a promise that discovery could
//! not confirm or deny is INFO, never a guess.

use serde_json::json;

use crate::probes::Discovered;
use mcp_oauth_engine::checks::{self, CheckDef};
use mcp_oauth_engine::flow::discovery::{ResourceMatch, compare_resource};
use mcp_oauth_engine::flow::{FlowContext, PinnedEndpoints, RegistrationFlow};

/// What the entry promises.
#[derive(Debug, Clone, Default)]
pub struct GalleryEntry {
    pub url: String,
    pub flow: Option<RegistrationFlow>,
    pub scope: Option<String>,
    pub pinned: PinnedEndpoints,
}

/// Records one `gallery-*` check per promise the entry makes.
pub fn compare(ctx: &mut FlowContext, entry: &GalleryEntry, found: &Discovered) {
    endpoints(ctx, entry, found);
    registration(ctx, entry, found);
    scope(ctx, entry, found);
    issuer(ctx, entry, found);
    resource(ctx, entry, found);
}

fn not_observed(ctx: &mut FlowContext, check: &CheckDef, why: &str) {
    ctx.recorder
        .info(check, json!({}), format!("not observed: {why}"));
}

fn endpoints(ctx: &mut FlowContext, entry: &GalleryEntry, found: &Discovered) {
    let check = &checks::GALLERY_ENDPOINTS_CURRENT;
    let pinned: Vec<(&str, &str)> = entry
        .pinned
        .fields()
        .into_iter()
        .filter_map(|(field, value)| value.map(|v| (field, v)))
        .collect();
    if pinned.is_empty() {
        return;
    }
    let Some(metadata) = &found.metadata else {
        return not_observed(
            ctx,
            check,
            "no authorization-server metadata was found to compare the pinned endpoints with",
        );
    };
    let announced = |field: &str| match field {
        "issuer" => metadata.issuer.as_deref(),
        "authorization-endpoint" => metadata.authorization_endpoint.as_deref(),
        "token-endpoint" => metadata.token_endpoint.as_deref(),
        "registration-endpoint" => metadata.registration_endpoint.as_deref(),
        "revocation-endpoint" => metadata.revocation_endpoint.as_deref(),
        _ => None,
    };
    let drifted: Vec<_> = pinned
        .iter()
        .filter(|(field, value)| announced(field) != Some(*value))
        .map(|(field, value)| json!({ "field": field, "pinned": value, "announced": announced(field) }))
        .collect();
    if drifted.is_empty() {
        let fields: Vec<&str> = pinned.iter().map(|(field, _)| *field).collect();
        ctx.recorder.pass(check, json!({ "fields": fields }));
        return;
    }
    let names: Vec<String> = drifted
        .iter()
        .map(|d| {
            format!(
                "`{}` pins {} but the metadata announces {}",
                d["field"].as_str().unwrap_or_default(),
                d["pinned"],
                d["announced"]
            )
        })
        .collect();
    ctx.recorder.fail(
        check,
        json!({ "drifted": drifted }),
        format!("the entry has drifted: {}", names.join("; ")),
    );
}

fn registration(ctx: &mut FlowContext, entry: &GalleryEntry, found: &Discovered) {
    let check = &checks::GALLERY_REGISTRATION_CURRENT;
    let Some(flow) = entry.flow else {
        return;
    };
    let Some(metadata) = &found.metadata else {
        return not_observed(ctx, check, "no authorization-server metadata was found");
    };
    let offered = metadata.registration_endpoint.is_some();
    let details =
        json!({ "flow": flow.as_str(), "registrationEndpoint": metadata.registration_endpoint });
    match (flow, offered) {
        (RegistrationFlow::Dcr, false) => {
            ctx.recorder.fail(
                check,
                details,
                "the entry says `flow: dcr`, but the authorization server no longer offers dynamic client registration (no registration_endpoint)",
            );
        }
        (RegistrationFlow::ClientId, true) => {
            ctx.recorder.info(
                check,
                details,
                "the authorization server now offers dynamic client registration: `flow: dcr` would need no brought Client ID",
            );
        }
        _ => {
            ctx.recorder.pass(check, details);
        }
    }
}

fn scope(ctx: &mut FlowContext, entry: &GalleryEntry, found: &Discovered) {
    let check = &checks::GALLERY_SCOPE_CURRENT;
    let Some(scope) = &entry.scope else {
        return;
    };
    let mut offered = found.scopes.clone();
    if let Some(listed) = found
        .metadata
        .as_ref()
        .and_then(|m| m.scopes_supported.clone())
    {
        offered.extend(listed);
    }
    if offered.is_empty() {
        return not_observed(ctx, check, "neither metadata lists scopes_supported");
    }
    let missing: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !offered.iter().any(|o| o == s))
        .collect();
    let details = json!({ "scope": scope, "scopesSupported": offered, "missing": missing });
    if missing.is_empty() {
        ctx.recorder.pass(check, details);
    } else {
        ctx.recorder.fail(
            check,
            details,
            format!(
                "the entry's scope {} is no longer in scopes_supported",
                missing.join(" ")
            ),
        );
    }
}

fn issuer(ctx: &mut FlowContext, entry: &GalleryEntry, found: &Discovered) {
    let check = &checks::GALLERY_ISSUER_CURRENT;
    let Some(pinned) = &entry.pinned.issuer else {
        return;
    };
    let named = found
        .issuer
        .as_deref()
        .or_else(|| found.metadata.as_ref().and_then(|m| m.issuer.as_deref()));
    let Some(named) = named else {
        return not_observed(
            ctx,
            check,
            "discovery named no authorization server to compare the entry's issuer with",
        );
    };
    let details = json!({ "pinned": pinned, "announced": named });
    if named.trim_end_matches('/') == pinned.trim_end_matches('/') {
        ctx.recorder.pass(check, details);
    } else {
        ctx.recorder.fail(
            check,
            details,
            format!("the entry pins the issuer {pinned}, but the server now names {named}"),
        );
    }
}

fn resource(ctx: &mut FlowContext, entry: &GalleryEntry, found: &Discovered) {
    let check = &checks::GALLERY_RESOURCE_CURRENT;
    if !found.found_prm {
        return not_observed(
            ctx,
            check,
            "the server serves no protected-resource metadata",
        );
    }
    let Some(announced) = &found.announced_resource else {
        return not_observed(
            ctx,
            check,
            "the protected-resource metadata has no resource",
        );
    };
    let details = json!({ "url": entry.url, "resource": announced });
    match compare_resource(&entry.url, announced) {
        ResourceMatch::Mismatch => {
            ctx.recorder.fail(
                check,
                details,
                format!(
                    "the entry's url {} is not the resource {announced} the metadata announces",
                    entry.url
                ),
            );
        }
        _ => {
            ctx.recorder.pass(check, details);
        }
    }
}
