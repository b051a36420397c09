//! `tntc build --with-deno` for a workflow with a `deno.lock`: the image carries the pinned
//! Deno CLI and the locked npm packages read-only, and Deno runs from it under gVisor with no
//! network, as uid 65534 on a read-only root filesystem, loading `npm:postgres` from the
//! image's cache (`--cached-only --frozen`, nothing downloaded, nothing written outside /tmp).
//! Then the image's engine runs a workflow with a Deno node one-shot (`tentacular-engine run`)
//! under the same conditions: the node imports the locked package, its output reaches the
//! wasm node after it.

use std::path::{Path, PathBuf};

use super::build::base::glibc_base_for_all;
use super::build::engine_binary;
use super::build::tools::have;
use super::gvisor::Podman;
use crate::support::{Run, command, copy_dir, missing, tempdir};

/// The pinned Deno CLI: `$TENTACULAR_DENO`, else the project-local install.
pub fn pinned_deno() -> Option<PathBuf> {
    std::env::var_os("TENTACULAR_DENO")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            Some(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../tools/deno/node_modules/@deno/linux-x64-glibc/deno"),
            )
        })
        .filter(|p| p.is_file())
}

/// The example whose lock pins `npm:postgres`, and its filled Deno cache.
fn collector() -> (PathBuf, PathBuf) {
    let wf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../example-workflows/cluster-health-collector")
        .canonicalize()
        .unwrap();
    let cache = wf.join(".tentacular/deno");
    (wf, cache)
}

#[test]
fn a_deno_image_loads_the_locked_npm_package_under_gvisor_without_network() {
    const TEST: &str = "a_deno_image_loads_the_locked_npm_package_under_gvisor_without_network";
    if !have(&["podman", "runsc"]) {
        return;
    }
    let Some(deno) = pinned_deno() else {
        return missing(
            TEST,
            "the pinned Deno CLI",
            "run tools/deno/install.sh (.ci/run does) or set TENTACULAR_DENO",
        );
    };
    let (example, cache) = collector();
    if !cache.join("npm").is_dir() {
        return missing(
            TEST,
            "the Deno cache of example-workflows/cluster-health-collector",
            "run `tntc deno-cache example-workflows/cluster-health-collector` (.ci/run does)",
        );
    }
    let t = tempdir();
    let engine = engine_binary();
    let base_image = glibc_base_for_all(&[&engine, &deno]);
    let base_dir = t.path().join("base");
    tentacular_image::layout::write_dir(&base_dir, &base_image, None).unwrap();
    let base = format!("oci-dir:{}", base_dir.display());

    // The workflow the image is built for: its lock pins npm:postgres, a probe imports it,
    // and so does its Deno node.
    let wf = t.path().join("wf");
    std::fs::create_dir_all(wf.join("nodes")).unwrap();
    std::fs::copy(example.join("deno.lock"), wf.join("deno.lock")).unwrap();
    std::fs::write(wf.join("workflow.yaml"), DENO_WORKFLOW).unwrap();
    std::fs::write(wf.join("nodes/driver.ts"), DRIVER_NODE).unwrap();
    std::fs::write(
        wf.join("nodes/shape.ts"),
        "export default async (ctx, input) => ({ seen: input.driver, v8: input.v8 });\n",
    )
    .unwrap();
    std::fs::write(
        wf.join("probe.ts"),
        "import postgres from \"npm:postgres@3.4.9\";\n\
         const sql = postgres({ host: \"127.0.0.1\", username: \"u\", password: \"p\" });\n\
         console.log(JSON.stringify({ driver: typeof postgres, client: typeof sql.begin }));\n",
    )
    .unwrap();

    let archive = t.path().join("engine.tar");
    let deno_arg = deno.to_str().unwrap();
    // `tntc -o json build <dir> … --dest <dest>` in `cwd`, with `TENTACULAR_DENO_DIR` = `cache`.
    let build = |cwd: &Path, dir: &str, dest: String, cache: Option<&Path>| {
        let args = [
            "-o",
            "json",
            "build",
            dir,
            "--base",
            &base,
            "--with-deno",
            "--deno",
            deno_arg,
            "-t",
            "localhost/tentacular-engine:deno",
            "--dest",
            &dest,
        ];
        let mut cmd = command(cwd, &args);
        cmd.env_remove("TENTACULAR_DENO_DIR");
        if let Some(c) = cache {
            cmd.env("TENTACULAR_DENO_DIR", c);
        }
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            output: cmd.output().unwrap(),
        }
    };
    let first = build(
        t.path(),
        wf.to_str().unwrap(),
        format!("docker-archive:{}", archive.display()),
        Some(&cache),
    );
    assert_eq!(first.code(), 0, "{}", first.transcript());
    let report = first.json();
    assert_eq!(
        report["deno"]["packages"],
        serde_json::json!(["postgres@3.4.9"])
    );
    assert_eq!(report["layers"], 3, "{report}");

    // Without TENTACULAR_DENO_DIR the cache is <wf>/.tentacular/deno: not there yet.
    let again_dest = format!("oci-dir:{}", t.path().join("again").display());
    let unfilled = build(&wf, ".", again_dest.clone(), None);
    assert_ne!(unfilled.code(), 0);
    assert!(
        unfilled.stdout().contains("tntc deno-cache"),
        "{}",
        unfilled.transcript()
    );
    // Another copy of the cache (with its databases and registry metadata), another
    // directory: the same digest.
    copy_dir(&cache, &wf.join(".tentacular/deno"));
    let again = build(&wf, ".", again_dest, None);
    assert_eq!(again.code(), 0, "{}", again.transcript());
    assert_eq!(again.json()["digest"], report["digest"]);

    let podman = Podman::new();
    let loaded = crate::build::tools::run_ok(podman.cmd().args(["load", "-i"]).arg(&archive));
    assert!(
        loaded.contains("localhost/tentacular-engine:deno"),
        "{loaded}"
    );
    // The image's cache as DENO_DIR, read-only: Deno must neither download nor write.
    let (code, out, err) = podman.run_sandboxed(
        &[
            "--entrypoint",
            tentacular_image::deno::DENO_PATH,
            "-e",
            &format!("DENO_DIR={}", tentacular_image::deno::CACHE_DIR),
            "-v",
            &format!("{}:/app/workflow:ro", wf.display()),
        ],
        "localhost/tentacular-engine:deno",
        &[
            "run",
            "--no-prompt",
            "--cached-only",
            "--frozen",
            "--lock=/app/workflow/deno.lock",
            "--ignore-env",
            "/app/workflow/probe.ts",
        ],
    );
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let seen: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}\nstderr:\n{err}"));
    assert_eq!(
        seen,
        serde_json::json!({"driver": "function", "client": "function"}),
        "{err}"
    );
    podman.assert_ran_in_gvisor();

    // The engine of the image runs the workflow once: its Deno child from the image's Deno,
    // the package from the image's read-only cache, the wasm node after it.
    let (code, out, err) = podman.run_sandboxed(
        &["-v", &format!("{}:/app/workflow:ro", wf.display())],
        "localhost/tentacular-engine:deno",
        &["run", "--workflow", "/app/workflow", "--log-format", "text"],
    );
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let result: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}\nstderr:\n{err}"));
    assert_eq!(result["success"], true, "{result}\n{err}");
    assert_eq!(
        result["outputs"]["shape"],
        serde_json::json!({"seen": "function", "v8": "string"}),
        "{result}"
    );
    podman.assert_ran_in_gvisor();
}

/// A Deno node (it imports an npm package) and a wasm node after it.
const DENO_WORKFLOW: &str = "name: deno-probe\nversion: \"1.0\"\ntriggers:\n  - type: manual\n\
nodes:\n  driver:\n    path: ./nodes/driver.ts\n    runtime: deno\n  shape:\n    path: ./nodes/shape.ts\n\
edges:\n  - from: driver\n    to: shape\n";

/// Loads the locked npm:postgres and reports what it found (no connection is made).
const DRIVER_NODE: &str = "import postgres from \"npm:postgres@3.4.9\";\n\
export default async () => ({ driver: typeof postgres, v8: typeof Deno.version.v8 });\n";
