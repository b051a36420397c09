//! Every spec under `tests/specs/`: invalid ones against their `.err` golden (every error and
//! warning as shown to people), valid ones against their `.out` golden (the parsed model as
//! JSON, then the warnings).

use std::path::{Path, PathBuf};

use tentacular_spec::Workflow;

use crate::golden;

pub fn specs(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(kind);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no specs in {}", dir.display());
    v
}

pub fn parse(path: &Path) -> Result<tentacular_spec::Parsed, tentacular_spec::SpecErrors> {
    let source = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    Workflow::parse(&source, name)
}

#[test]
fn invalid_specs_match_their_error_goldens() {
    let mut failures = Vec::new();
    for path in specs("invalid") {
        let shown = match parse(&path) {
            Ok(_) => {
                failures.push(format!("{} was accepted", path.display()));
                continue;
            }
            Err(errors) => {
                assert!(!errors.errors.is_empty());
                for d in &errors.errors {
                    assert!(
                        d.line > 0 && d.column > 0,
                        "{}: no position: {d}",
                        path.display()
                    );
                }
                format!("{errors}\n")
            }
        };
        let golden = path.with_extension("err");
        if let Err(e) = std::panic::catch_unwind(|| golden::check(&golden, &shown)) {
            failures.push(e.downcast_ref::<String>().cloned().unwrap_or_default());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn valid_specs_match_their_model_goldens() {
    let mut failures = Vec::new();
    for path in specs("valid") {
        let parsed = match parse(&path) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{} was rejected:\n{e}", path.display()));
                continue;
            }
        };
        let mut shown = serde_json::to_string_pretty(&parsed.workflow).unwrap();
        shown.push('\n');
        for w in &parsed.warnings {
            shown.push_str(&format!("\n{w}\n"));
        }
        let golden = path.with_extension("out");
        if let Err(e) = std::panic::catch_unwind(|| golden::check(&golden, &shown)) {
            failures.push(e.downcast_ref::<String>().cloned().unwrap_or_default());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_error_code_is_exercised_by_a_golden() {
    // Keeps the goldens honest: each invalid spec must produce at least one error, and all of
    // them together cover the main families of mistakes.
    let mut codes = std::collections::BTreeSet::new();
    for path in specs("invalid") {
        if let Err(e) = parse(&path) {
            codes.extend(e.errors.iter().map(|d| d.code));
        }
    }
    for code in [
        "yaml-syntax",
        "empty-file",
        "expected-mapping",
        "missing-key",
        "unknown-key",
        "version-format",
        "version-unquoted",
        "name-format",
        "trigger-type",
        "cron-schedule",
        "webhook-provider",
        "duplicate-trigger-name",
        "node-id",
        "node-path-outside",
        "edge-unknown-node",
        "edge-self-loop",
        "cycle",
        "duration",
        "expected-integer",
        "out-of-range",
        "runtime",
        "memory-size",
        "unknown-dependency",
        "contract-version",
        "host-format",
        "secret-ref",
        "cidr",
        "port-rule",
        "dependency-type",
        "namespace-format",
    ] {
        assert!(
            codes.contains(code),
            "no invalid spec produces {code}; have {codes:?}"
        );
    }
}
