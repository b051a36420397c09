//! What `EngineImage` refuses or warns about before an image could fail in a pod, and what
//! the image it builds holds.

use tentacular_image::engine::{self, EngineImage};
use tentacular_image::layer::LayerBuilder;
use tentacular_image::rootfs::FileTree;
use tentacular_image::{Error, Image, Platform};

use crate::support::{glibc_base_for, host_binary, host_platform};

#[test]
fn a_dynamic_engine_on_a_base_without_its_loader_is_refused() {
    let e = EngineImage::new(host_binary(), "0.1.0")
        .build(Image::scratch(host_platform()), "scratch", false)
        .unwrap_err();
    assert!(matches!(e, Error::MissingInterpreter { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("dynamically linked") && text.contains("hint:"),
        "{text}"
    );
}

#[test]
fn platform_must_match_the_binary() {
    let other = match host_platform() {
        Platform::Amd64 => Platform::Arm64,
        Platform::Arm64 => Platform::Amd64,
    };
    let e = EngineImage::new(host_binary(), "0.1.0")
        .platform(Some(other))
        .build(glibc_base_for(&host_binary()), "b", false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("--platform {other} does not match")),
        "{e}"
    );
    // The default is the binary's.
    let built = EngineImage::new(host_binary(), "0.1.0")
        .build(glibc_base_for(&host_binary()), "b", false)
        .unwrap();
    assert_eq!(built.image.platform_text(), host_platform().to_string());
}

#[test]
fn a_missing_library_is_a_warning_and_the_image_holds_the_engine_and_the_extra_layer() {
    // A base with the loader only: libc is missing, which is worth saying but not fatal
    // (the library may live somewhere this check does not look).
    let info = tentacular_image::elf::inspect(&host_binary()).unwrap();
    let interp = info.interpreter.clone().unwrap();
    let mut b = LayerBuilder::new();
    b.file(&interp, std::fs::read(&interp).unwrap(), 0o755)
        .unwrap();
    let base = tentacular_image::ImageBuilder::new(Image::scratch(info.platform), info.platform)
        .layer(b.build("loader").unwrap())
        .build()
        .unwrap();
    let mut extra = LayerBuilder::new();
    extra
        .file("/usr/local/bin/deno", b"not really deno".to_vec(), 0o755)
        .unwrap();
    let built = EngineImage::new(host_binary(), "0.1.0")
        .extra_layer(extra.build("deno").unwrap())
        .build(base, "loader-only", false)
        .unwrap();
    assert!(
        built.warnings.iter().any(|w| w.contains("libc.so.6")),
        "{:?}",
        built.warnings
    );
    let tree = FileTree::of(&built.image).unwrap();
    for p in [
        engine::ENGINE_PATH,
        "/usr/local/bin/deno",
        "/app/workflow",
        "/app/secrets",
        "/tmp",
        &interp,
    ] {
        assert!(tree.exists(p), "{p}");
    }
    let cfg = built.image.config().unwrap();
    let c = &cfg["config"];
    assert_eq!(c["User"], "65534:65534");
    assert_eq!(c["Entrypoint"], serde_json::json!([engine::ENGINE_PATH]));
    assert_eq!(
        c["Cmd"],
        serde_json::json!(["--workflow", "/app/workflow", "--port", "8080"])
    );
    assert!(c["ExposedPorts"]["8080/tcp"].is_object(), "{c}");
    assert!(
        c["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "TENTACULAR_CACHE_DIR=/tmp/tentacular-cache"),
        "{c}"
    );
    assert_eq!(c["Labels"]["org.opencontainers.image.version"], "0.1.0");
    assert_eq!(cfg["history"].as_array().unwrap().len(), 3, "{cfg}");
}
