//! The committed JSON schema (`docs/workflow.schema.json`) matches the types, and accepts the
//! shape of every valid spec.

use std::path::Path;

use tentacular_spec::json_schema;

use crate::golden;

#[test]
fn committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/workflow.schema.json");
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap();
    text.push('\n');
    golden::check(&path, &text);
}
