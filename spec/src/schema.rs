//! The JSON schema of `workflow.yaml`, derived from the model types.

use serde_json::{Value, json};

use crate::model::Workflow;

/// A JSON schema (draft 2020-12) describing `workflow.yaml`, for editors (e.g. the YAML
/// language server's `# yaml-language-server: $schema=...`) and agents.
///
/// It is derived from the same types the parser produces. The parser remains the authority:
/// it also checks what a schema cannot say (edges against nodes, cycles, `uses` against the
/// contract, files on disk).
pub fn json_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Workflow))
        .expect("a schema is always representable as JSON");
    tighten(&mut schema);
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), json!("Tentacular workflow.yaml"));
    }
    schema
}

/// Objects marked as carrying `x-*` extensions accept those keys and nothing else unknown.
fn tighten(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            if obj.remove("x-tentacular-extensions").is_some() {
                obj.insert("patternProperties".into(), json!({"^x-": {}}));
                let composed = ["oneOf", "anyOf", "allOf"]
                    .iter()
                    .any(|k| obj.contains_key(*k));
                if composed {
                    obj.remove("additionalProperties");
                } else {
                    obj.insert("additionalProperties".into(), json!(false));
                }
            }
            for child in obj.values_mut() {
                tighten(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tighten),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_every_top_level_key() {
        let s = json_schema();
        let props = s["properties"].as_object().expect("properties");
        let mut keys: Vec<&str> = props.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = crate::TOP_LEVEL_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["patternProperties"], json!({"^x-": {}}));
    }
}
