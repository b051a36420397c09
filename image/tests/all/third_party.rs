//! What this crate writes, read by tools that share none of its code: skopeo (containers/
//! image) and umoci (opencontainers/umoci).

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use serde_json::Value;
use tentacular_image::engine::{self, EngineImage};
use tentacular_image::progress::Silent;
use tentacular_image::registry::{Credentials, RegistryOptions, Remote};
use tentacular_image::{archive, layout};

use crate::support::tools::{Registry, have, run_ok};
use crate::support::{glibc_base_for, host_binary, host_platform};

fn built() -> tentacular_image::Image {
    let mut spec = EngineImage::new(host_binary(), "0.1.0");
    spec.revision(Some("0123abc".into()));
    spec.build(glibc_base_for(&host_binary()), "b", false)
        .unwrap()
        .image
}

#[test]
fn skopeo_reads_the_layout_and_archives_with_our_digest_and_config() {
    if !have(&["skopeo"]) {
        return;
    }
    let image = built();
    let dir = tempfile::tempdir().unwrap();
    let lay = dir.path().join("layout");
    layout::write_dir(&lay, &image, Some("tentacular-engine:t")).unwrap();
    let oci = format!("oci:{}:tentacular-engine:t", lay.display());
    let raw = run_ok(Command::new("skopeo").args(["inspect", "--raw", &oci]));
    assert_eq!(
        raw.as_bytes(),
        image.manifest_bytes().as_ref(),
        "skopeo sees our manifest bytes"
    );
    let info: Value =
        serde_json::from_str(&run_ok(Command::new("skopeo").args(["inspect", &oci]))).unwrap();
    assert_eq!(info["Digest"], image.digest().as_str());
    assert_eq!(info["Architecture"], host_platform().architecture());
    assert_eq!(info["Os"], "linux");
    assert_eq!(
        info["Labels"]["org.opencontainers.image.revision"],
        "0123abc"
    );
    assert_eq!(info["Layers"].as_array().unwrap().len(), 2);
    let cfg: Value = serde_json::from_str(&run_ok(
        Command::new("skopeo").args(["inspect", "--config", &oci]),
    ))
    .unwrap();
    assert_eq!(cfg["config"]["User"], "65534:65534");

    // skopeo converts our layout to a classic docker archive (uncompressed layers); we read
    // that back: same config, same layer contents (diff_ids).
    let classic = dir.path().join("classic.tar");
    run_ok(Command::new("skopeo").args([
        "copy",
        &oci,
        &format!("docker-archive:{}:tentacular-engine:t", classic.display()),
    ]));
    let back = archive::read_archive(&classic, None, host_platform()).unwrap();
    let diff_ids = |i: &tentacular_image::Image| i.config().unwrap()["rootfs"]["diff_ids"].clone();
    assert_eq!(diff_ids(&back), diff_ids(&image));

    // Our own archives, both kinds.
    for (kind, file) in [("docker-archive", "d.tar"), ("oci-archive", "o.tar")] {
        let p = dir.path().join(file);
        if kind == "docker-archive" {
            archive::write_docker_archive(&p, &image, "tentacular-engine:t").unwrap();
        } else {
            archive::write_oci_archive(&p, &image, Some("tentacular-engine:t")).unwrap();
        }
        let info: Value = serde_json::from_str(&run_ok(
            Command::new("skopeo").args(["inspect", &format!("{kind}:{}", p.display())]),
        ))
        .unwrap();
        assert_eq!(
            info["Labels"]["org.opencontainers.image.version"], "0.1.0",
            "{kind}"
        );
        assert_eq!(info["Layers"].as_array().unwrap().len(), 2, "{kind}");
    }
}

#[test]
fn skopeo_inspects_what_we_pushed_by_digest() {
    if !have(&["skopeo", "docker-registry"]) {
        return;
    }
    let reg = Registry::start();
    let image = built();
    let opts = RegistryOptions {
        insecure: true,
        credentials: Credentials::Anonymous,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt
        .block_on(
            Remote::new(&format!("{}/e:1", reg.addr), &opts)
                .unwrap()
                .push(&image, &Silent),
        )
        .unwrap();
    let raw = run_ok(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{}", report.pinned),
    ]));
    assert_eq!(raw.as_bytes(), image.manifest_bytes().as_ref());
    let tagged: Value = serde_json::from_str(&run_ok(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        &format!("docker://{}/e:1", reg.addr),
    ])))
    .unwrap();
    assert_eq!(tagged["Digest"], image.digest().as_str());
}

#[test]
fn umoci_unpacks_the_engine_with_its_mode_user_and_arguments() {
    if !have(&["umoci"]) {
        return;
    }
    let image = built();
    let dir = tempfile::tempdir().unwrap();
    let lay = dir.path().join("layout");
    layout::write_dir(&lay, &image, Some("t")).unwrap();
    let bundle = dir.path().join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--image"])
            .arg(format!("{}:t", lay.display()))
            .arg(&bundle),
    );
    let engine_file = bundle
        .join("rootfs")
        .join(engine::ENGINE_PATH.trim_start_matches('/'));
    assert_eq!(
        std::fs::read(&engine_file).unwrap(),
        std::fs::read(host_binary()).unwrap()
    );
    assert_eq!(
        std::fs::metadata(&engine_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o755
    );
    assert_eq!(
        std::fs::metadata(bundle.join("rootfs/tmp"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o1777
    );
    let spec: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    let p = &spec["process"];
    assert_eq!(
        (p["user"]["uid"].as_u64(), p["user"]["gid"].as_u64()),
        (Some(65534), Some(65534))
    );
    assert_eq!(
        p["args"],
        serde_json::json!([
            engine::ENGINE_PATH,
            "--workflow",
            "/app/workflow",
            "--port",
            "8080"
        ])
    );
    assert_eq!(p["cwd"], "/app");
}
