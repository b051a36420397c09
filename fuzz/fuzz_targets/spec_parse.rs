//! The workflow spec parser on arbitrary text: it must answer with a workflow or with
//! diagnostics, never panic, and every diagnostic must point inside the text it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tentacular_spec::Workflow;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = Workflow::parse(source, "workflow.yaml") {
        // Lines as YAML counts them: `\r\n`, a lone `\r` and `\n` each end one.
        let lines = source.replace("\r\n", "\n").matches(['\r', '\n']).count() + 1;
        assert!(!errors.errors.is_empty(), "an Err holds at least one error");
        for d in errors.errors.iter().chain(&errors.warnings) {
            assert!(
                d.line <= lines,
                "line {} past the end ({lines}): {d:?}",
                d.line
            );
        }
    }
});
