//! Loading from disk: directories, files, node files, symlinks.

use std::fs;
use std::path::Path;

use tentacular_spec::Workflow;

const SPEC: &str = "name: demo\nversion: \"1.0\"\ntriggers: [{type: manual}]\nnodes:\n  hello:\n    path: ./nodes/hello.ts\n    description: Says hello.\n";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn first_error(path: &Path) -> String {
    let e = Workflow::load(path).unwrap_err();
    e.errors[0].to_string()
}

#[test]
fn loads_a_directory_and_a_file() {
    let t = tempfile::tempdir().unwrap();
    write(&t.path().join("workflow.yaml"), SPEC);
    write(
        &t.path().join("nodes/hello.ts"),
        "export default async () => ({})\n",
    );
    let w = Workflow::load(t.path()).unwrap();
    assert_eq!(w.workflow.name.as_str(), "demo");
    assert_eq!(w.dir, t.path());
    assert_eq!(
        w.node_file(&"hello".parse().unwrap()).unwrap(),
        t.path().join("./nodes/hello.ts")
    );
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    let w = Workflow::load(t.path().join("workflow.yaml")).unwrap();
    assert_eq!(w.dir, t.path());
}

#[test]
fn missing_things_are_named() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("nope");
    assert!(first_error(&missing).contains("nope: does not exist"));
    assert!(first_error(t.path()).contains("workflow.yaml: not found"));
    write(&t.path().join("workflow.yml"), SPEC);
    assert!(first_error(t.path()).contains("rename it to workflow.yaml"));

    // A workflow "directory" that is a file.
    let f = t.path().join("hello.ts");
    write(&f, "x");
    let shown = first_error(&f);
    assert!(
        shown.contains("is a file, not a workflow directory"),
        "{shown}"
    );
}

#[test]
fn node_file_missing_names_node_and_path_with_a_suggestion() {
    let t = tempfile::tempdir().unwrap();
    write(&t.path().join("workflow.yaml"), SPEC);
    write(&t.path().join("nodes/helo.ts"), "x");
    let e = Workflow::load(t.path()).unwrap_err();
    assert_eq!(e.errors.len(), 1);
    let d = &e.errors[0];
    assert_eq!((d.line, d.column), (6, 11));
    assert_eq!(d.node.as_ref().unwrap().as_str(), "hello");
    assert_eq!(
        d.message,
        "node \"hello\": file \"./nodes/hello.ts\" does not exist"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean \"./nodes/helo.ts\"?"));

    // A directory where the file should be.
    fs::remove_file(t.path().join("nodes/helo.ts")).unwrap();
    fs::create_dir_all(t.path().join("nodes/hello.ts")).unwrap();
    assert!(first_error(t.path()).contains("is not a file"));
}

#[cfg(unix)]
#[test]
fn node_symlinked_outside_the_workflow_is_rejected() {
    let t = tempfile::tempdir().unwrap();
    let wf = t.path().join("wf");
    write(&wf.join("workflow.yaml"), SPEC);
    write(&t.path().join("secret.ts"), "x");
    fs::create_dir_all(wf.join("nodes")).unwrap();
    std::os::unix::fs::symlink(t.path().join("secret.ts"), wf.join("nodes/hello.ts")).unwrap();
    let shown = first_error(&wf);
    assert!(
        shown.contains("resolves outside the workflow directory"),
        "{shown}"
    );
    // A symlink that stays inside is fine.
    fs::remove_file(wf.join("nodes/hello.ts")).unwrap();
    write(&wf.join("nodes/real.ts"), "x");
    std::os::unix::fs::symlink("real.ts", wf.join("nodes/hello.ts")).unwrap();
    assert!(Workflow::load(&wf).is_ok());
}

#[test]
fn runtime_follows_imports() {
    let t = tempfile::tempdir().unwrap();
    write(&t.path().join("workflow.yaml"), SPEC);
    write(
        &t.path().join("nodes/hello.ts"),
        "import { Client } from \"jsr:@db/postgres@0.19.5\";\nexport default async () => ({})\n",
    );
    let w = Workflow::load(t.path()).unwrap();
    assert_eq!(w.warnings.len(), 1);
    assert_eq!(w.warnings[0].code, "runtime-auto-deno");

    // config.runtime: wasm makes it an error.
    write(
        &t.path().join("workflow.yaml"),
        &format!("{SPEC}config:\n  runtime: wasm\n"),
    );
    let e = Workflow::load(t.path()).unwrap_err();
    assert_eq!(e.errors[0].code, "runtime-needs-deno");
    assert!(e.errors[0].message.contains("jsr:@db/postgres@0.19.5"));

    // runtime: deno on the node says it explicitly: no warning.
    let spec = SPEC.replace(
        "description: Says hello.\n",
        "description: Says hello.\n    runtime: deno\n",
    );
    write(&t.path().join("workflow.yaml"), &spec);
    assert!(Workflow::load(t.path()).unwrap().warnings.is_empty());
}

#[test]
fn invalid_utf8_is_an_error_not_a_panic() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("workflow.yaml"), [0xff, 0xfe, 0x00]).unwrap();
    assert!(first_error(t.path()).contains("not UTF-8"));
}
