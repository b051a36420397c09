//! `tntc init`.

use crate::support::{golden, tempdir, tntc, write};

#[test]
fn scaffold_passes_validate_without_warnings() {
    let t = tempdir();
    let run = tntc(t.path(), &["init", "hello-world"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    golden("init.txt", &run.transcript());
    let wf = t.path().join("hello-world");
    for f in [
        "workflow.yaml",
        "nodes/hello.ts",
        "tests/fixtures/hello.json",
        ".secrets.yaml.example",
        ".gitignore",
    ] {
        assert!(wf.join(f).is_file(), "{f}");
    }
    let run = tntc(t.path(), &["validate", "hello-world"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert_eq!(run.stdout(), "✓ hello-world/workflow.yaml is valid\n");
    assert!(run.stderr().is_empty(), "{}", run.stderr());

    // The fixture expects what the node returns.
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(wf.join("tests/fixtures/hello.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(fixture["expected"]["message"], "Hello from hello-world!");
    let node = std::fs::read_to_string(wf.join("nodes/hello.ts")).unwrap();
    assert!(node.contains("\"Hello from hello-world!\""));
    assert!(node.contains("export default async function run"));
    assert!(
        std::fs::read_to_string(wf.join(".gitignore"))
            .unwrap()
            .contains(".secrets.yaml")
    );
}

#[test]
fn refuses_to_overwrite_without_force() {
    let t = tempdir();
    assert_eq!(tntc(t.path(), &["init", "wf"]).code(), 0);
    write(&t.path().join("wf/nodes/hello.ts"), "// my edits\n");
    write(&t.path().join("wf/notes.md"), "mine\n");
    let run = tntc(t.path(), &["init", "wf"]);
    assert_eq!(run.code(), 1);
    golden("init-exists.txt", &run.transcript());
    assert_eq!(
        std::fs::read_to_string(t.path().join("wf/nodes/hello.ts")).unwrap(),
        "// my edits\n"
    );

    let run = tntc(t.path(), &["init", "wf", "--force"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert!(
        std::fs::read_to_string(t.path().join("wf/nodes/hello.ts"))
            .unwrap()
            .contains("Hello from wf!")
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("wf/notes.md")).unwrap(),
        "mine\n"
    );

    // An empty directory is fine without --force; a file of that name is not.
    std::fs::create_dir(t.path().join("empty")).unwrap();
    assert_eq!(tntc(t.path(), &["init", "empty"]).code(), 0);
    write(&t.path().join("taken"), "x");
    assert_eq!(tntc(t.path(), &["init", "taken", "--force"]).code(), 1);
}

#[test]
fn json_lists_the_files() {
    let t = tempdir();
    let run = tntc(t.path(), &["-o", "json", "init", "wf"]);
    assert_eq!(run.code(), 0);
    let v = run.json();
    assert_eq!(v["workflow"], "wf");
    assert_eq!(v["files"].as_array().unwrap().len(), 5);
}
