//! A multi-platform base (an image index) resolves to the platform being built, in a layout
//! and in a registry (the index pushed there by skopeo, not by this crate).

use std::collections::BTreeMap;
use std::process::Command;

use tentacular_image::oci::{Descriptor, Index, annotation, media_type};
use tentacular_image::progress::Silent;
use tentacular_image::registry::{Credentials, RegistryOptions, Remote};
use tentacular_image::{Digest, Image, Platform, layout};

use crate::support::tools::{Registry, have, run_ok};
use crate::support::{glibc_base_for, host_binary};

/// A layout whose `index.json` entry `multi` is an image index of an amd64 and an arm64
/// image. Returns the two images.
fn multi_layout(dir: &std::path::Path) -> (Image, Image) {
    let amd = glibc_base_for(&host_binary());
    let arm = Image::scratch(Platform::Arm64);
    layout::write_dir(dir, &amd, Some("amd")).unwrap();
    layout::write_dir(dir, &arm, Some("arm")).unwrap();
    let entry = |img: &Image, p: Platform| {
        let mut d = Descriptor::of(media_type::OCI_MANIFEST, img.manifest_bytes());
        d.platform = Some(p.into());
        d
    };
    let mut inner = Index::new();
    inner.manifests = vec![entry(&amd, Platform::Amd64), entry(&arm, Platform::Arm64)];
    let bytes = serde_json::to_vec(&inner).unwrap();
    let digest = Digest::of(&bytes);
    std::fs::write(dir.join("blobs/sha256").join(digest.hex()), &bytes).unwrap();
    let mut top = Index::new();
    let mut d = Descriptor::of(media_type::OCI_INDEX, &bytes);
    d.annotations = BTreeMap::from([(annotation::REF_NAME.to_string(), "multi".to_string())]);
    top.manifests = vec![d];
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    (amd, arm)
}

#[test]
fn a_layout_index_resolves_to_each_platform() {
    let dir = tempfile::tempdir().unwrap();
    let (amd, arm) = multi_layout(dir.path());
    let got = |p| {
        layout::read_dir(dir.path(), Some("multi"), p)
            .unwrap()
            .digest()
    };
    assert_eq!(got(Platform::Amd64), amd.digest());
    assert_eq!(got(Platform::Arm64), arm.digest());
}

#[test]
fn a_registry_index_resolves_to_each_platform() {
    if !have(&["docker-registry", "skopeo"]) {
        return;
    }
    let reg = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let (amd, arm) = multi_layout(dir.path());
    let reference = format!("{}/base:multi", reg.addr);
    run_ok(Command::new("skopeo").args([
        "copy",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &format!("oci:{}:multi", dir.path().display()),
        &format!("docker://{reference}"),
    ]));
    let opts = RegistryOptions {
        insecure: true,
        credentials: Credentials::Anonymous,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pull = |p| {
        rt.block_on(Remote::new(&reference, &opts).unwrap().pull(p, &Silent))
            .unwrap()
    };
    assert_eq!(pull(Platform::Amd64).digest(), amd.digest());
    assert_eq!(pull(Platform::Arm64).digest(), arm.digest());
}
