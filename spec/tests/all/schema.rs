//! The committed JSON schema (`docs/workflow.schema.json`) matches the types, and accepts the
//! shape of every valid spec — but for the unknown keys of `contract` and its dependencies,
//! which the parser keeps with a warning and the schema rejects (extensions there are `x-*`).

use std::path::Path;

use serde_json::{Value, json};
use tentacular_spec::json_schema;

use crate::golden;
use crate::specs::{parse, specs};

#[test]
fn committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/workflow.schema.json");
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap();
    text.push('\n');
    golden::check(&path, &text);
}

/// Removes from `contract` and each of its dependencies the keys the schema does not know
/// (neither a property of that definition nor `x-*`); returns how many it removed.
fn strip_unknown_contract_keys(schema: &Value, instance: &mut Value) -> usize {
    let known = |def: &str| -> Vec<String> {
        schema["$defs"][def]["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let strip = |obj: &mut serde_json::Map<String, Value>, known: &[String]| -> usize {
        let before = obj.len();
        obj.retain(|k, _| k.starts_with("x-") || known.contains(k));
        before - obj.len()
    };
    let Some(contract) = instance.get_mut("contract").and_then(Value::as_object_mut) else {
        return 0;
    };
    let mut removed = strip(contract, &known("Contract"));
    let dependency = known("Dependency");
    if let Some(deps) = contract
        .get_mut("dependencies")
        .and_then(Value::as_object_mut)
    {
        for dep in deps.values_mut().filter_map(Value::as_object_mut) {
            removed += strip(dep, &dependency);
        }
    }
    removed
}

#[test]
fn every_valid_spec_fits_the_schema() {
    let schema = json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid");
    let mut failures = Vec::new();
    for path in specs("valid") {
        let parsed = parse(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The model serializes with the keys as written in YAML: the spec in JSON form.
        let mut instance = serde_json::to_value(&parsed.workflow).unwrap();
        let kept = parsed
            .warnings
            .iter()
            .filter(|w| w.message.ends_with("(kept as an extension)"))
            .count();
        let unstripped = instance.clone();
        let removed = strip_unknown_contract_keys(&schema, &mut instance);
        assert_eq!(
            removed,
            kept,
            "{}: the keys the schema does not know are those the parser warns about",
            path.display()
        );
        if removed > 0 {
            assert!(
                !validator.is_valid(&unstripped),
                "{}: the schema accepts unknown contract keys",
                path.display()
            );
        }
        for e in validator.iter_errors(&instance) {
            failures.push(format!("{}: {e} at {}", path.display(), e.instance_path()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // And the check is not vacuous: what the parser rejects for its shape, the schema rejects.
    for (what, bad) in [
        (
            "no nodes",
            json!({"name": "x", "version": "1.0", "triggers": [{"type": "manual"}]}),
        ),
        (
            "a number for the version",
            json!({"name": "x", "version": 1.0, "triggers": [{"type": "manual"}],
                   "nodes": {"a": {"path": "./a.ts"}}}),
        ),
        (
            "an unknown trigger type",
            json!({"name": "x", "version": "1.0", "triggers": [{"type": "sometimes"}],
                   "nodes": {"a": {"path": "./a.ts"}}}),
        ),
    ] {
        assert!(
            !validator.is_valid(&bad),
            "the schema accepts {what}: {bad}"
        );
    }
}
