//! Which tool the client calls to show that its token works, and with which arguments.
//!
//! A connection is what OAuth decides: the call only has to reach the tool with the token
//! accepted. A call the tool refuses for its arguments proves nothing about authorization and
//! blames the server for the client's own request, so the arguments always satisfy the tool's
//! `inputSchema` (MCP `tools/list`, JSON Schema): a tool that needs no argument is preferred,
//! else the first tool, with each required property given a value of its type.

use serde_json::{Map, Value, json};

/// A tool call the client can make, with arguments its input schema accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Value,
}

/// How deep required objects are filled in; deeper schemas get an empty object.
const MAX_DEPTH: usize = 8;

/// The call to make from a `tools/list` result as [`super::Action::ListTools`] returns it:
/// `{"tools": [names], "inputSchemas": [schemas]}`. None when the server lists no tool.
pub fn choose(listed: &Value) -> Option<ToolCall> {
    let names: Vec<&str> = listed
        .get("tools")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let schemas = listed.get("inputSchemas").and_then(Value::as_array);
    let schema_of = |i: usize| schemas.and_then(|s| s.get(i)).unwrap_or(&Value::Null);
    let index = (0..names.len())
        .find(|&i| required(schema_of(i)).is_empty())
        .or_else(|| (!names.is_empty()).then_some(0))?;
    Some(ToolCall {
        name: names[index].to_owned(),
        arguments: object_for(schema_of(index), 0),
    })
}

/// The names a schema lists as `required`.
fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// An object with every required property of `schema` filled in, and nothing else.
fn object_for(schema: &Value, depth: usize) -> Value {
    let properties = schema.get("properties");
    let mut object = Map::new();
    if depth < MAX_DEPTH {
        for name in required(schema) {
            let property = properties.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
            object.insert(name.to_owned(), value_for(property, depth + 1));
        }
    }
    Value::Object(object)
}

/// A value the property's schema accepts: its `const`, `default`, first `enum` value or first
/// example when it gives one, else the smallest value of its type within its bounds.
fn value_for(schema: &Value, depth: usize) -> Value {
    if let Some(value) = schema.get("const").or_else(|| schema.get("default")) {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(first) = schema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    // `anyOf` / `oneOf`: the first alternative that is not `null`.
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let chosen = alternatives
                .iter()
                .find(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .or_else(|| alternatives.first());
            if let Some(chosen) = chosen {
                return value_for(chosen, depth);
            }
        }
    }
    match type_of(schema) {
        Some("string") => string_for(schema),
        Some("integer") => json!(number_for(schema).ceil() as i64),
        Some("number") => json!(number_for(schema)),
        Some("boolean") => json!(true),
        Some("null") => Value::Null,
        Some("array") => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema.get("items").unwrap_or(&Value::Null);
            // A handful at most: a schema asking for more is filled with what fits.
            Value::Array(
                (0..count.min(16))
                    .map(|_| value_for(item, depth + 1))
                    .collect(),
            )
        }
        Some("object") => object_for(schema, depth),
        // No type: a string is what most tools that leave it out expect.
        _ if schema.get("properties").is_some() => object_for(schema, depth),
        _ => string_for(schema),
    }
}

/// `type` as a string, or the first non-null entry of a type list.
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .or(Some("null")),
        _ => None,
    }
}

fn string_for(schema: &Value) -> Value {
    let format = schema.get("format").and_then(Value::as_str);
    let text = match format {
        Some("uri" | "url" | "iri") => "https://example.com/".to_owned(),
        Some("email") => "user@example.com".to_owned(),
        Some("date") => "2026-01-01".to_owned(),
        Some("date-time") => "2026-01-01T00:00:00Z".to_owned(),
        Some("uuid") => "00000000-0000-4000-8000-000000000000".to_owned(),
        _ => "mcp-oauth-harness".to_owned(),
    };
    // Bounded: a schema asking for a megabyte gets a kilobyte, and the tool says so.
    let min = schema
        .get("minLength")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(1024) as usize;
    let mut text = text;
    if text.len() < min {
        text.push_str(&"x".repeat(min - text.len()));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        text.truncate((max as usize).max(min));
    }
    Value::String(text)
}

fn number_for(schema: &Value) -> f64 {
    let minimum = schema.get("minimum").and_then(Value::as_f64);
    let exclusive = schema.get("exclusiveMinimum").and_then(Value::as_f64);
    let value = minimum.or(exclusive.map(|m| m + 1.0)).unwrap_or(1.0);
    match schema.get("maximum").and_then(Value::as_f64) {
        Some(max) if value > max => max,
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(tools: &[(&str, Value)]) -> Value {
        json!({
            "tools": tools.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            "inputSchemas": tools.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn a_tool_without_required_arguments_is_preferred() {
        let tools = listed(&[
            (
                "greet",
                json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
            ),
            ("ping", json!({"type": "object", "properties": {}})),
        ]);
        assert_eq!(
            choose(&tools),
            Some(ToolCall {
                name: "ping".into(),
                arguments: json!({})
            })
        );
    }

    #[test]
    fn each_required_property_gets_a_value_of_its_type() {
        let tools = listed(&[(
            "greet",
            json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 20},
                    "count": {"type": "integer", "minimum": 3},
                    "ratio": {"type": "number", "exclusiveMinimum": 0.5},
                    "loud": {"type": "boolean"},
                    "mode": {"enum": ["slow", "fast"]},
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "where": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                    "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
                    "optional": {"type": "string"}
                },
                "required": ["name", "count", "ratio", "loud", "mode", "tags", "where", "maybe"]
            }),
        )]);
        let call = choose(&tools).unwrap();
        assert_eq!(call.name, "greet");
        let args = call.arguments;
        assert!(args["name"].as_str().unwrap().len() >= 20, "{args}");
        assert_eq!(args["count"], json!(3));
        assert_eq!(args["ratio"], json!(1.5));
        assert_eq!(args["loud"], json!(true));
        assert_eq!(args["mode"], json!("slow"));
        assert_eq!(args["tags"], json!(["mcp-oauth-harness"]));
        assert_eq!(args["where"], json!({"city": "mcp-oauth-harness"}));
        assert_eq!(args["maybe"], json!(1));
        assert!(args.get("optional").is_none());
    }

    #[test]
    fn nothing_listed_is_nothing_to_call() {
        assert_eq!(choose(&json!({"tools": []})), None);
        assert_eq!(choose(&json!({})), None);
    }

    #[test]
    fn a_listing_without_schemas_calls_the_first_tool_with_no_arguments() {
        assert_eq!(
            choose(&json!({"tools": ["a", "b"]})),
            Some(ToolCall {
                name: "a".into(),
                arguments: json!({})
            })
        );
    }

    #[test]
    fn a_self_referencing_depth_is_bounded() {
        let mut schema = json!({"type": "object"});
        for _ in 0..20 {
            schema =
                json!({"type": "object", "properties": {"inner": schema}, "required": ["inner"]});
        }
        let call = choose(&listed(&[("deep", schema)])).unwrap();
        let text = call.arguments.to_string();
        assert!(text.matches("inner").count() <= MAX_DEPTH, "{text}");
    }
}
