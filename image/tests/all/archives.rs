//! Layouts and archives written and read back by this crate: the same image, bit for bit.

use tentacular_image::location::{Dest, Source};
use tentacular_image::progress::Silent;
use tentacular_image::registry::RegistryOptions;
use tentacular_image::{archive, layout, store};

use crate::support::{glibc_base_for, host_binary, host_platform};

#[test]
fn oci_dir_oci_archive_and_docker_archive_round_trip() {
    let base = glibc_base_for(&host_binary());
    let image = tentacular_image::engine::EngineImage::new(host_binary(), "0.1.0")
        .build(base, "b", false)
        .unwrap()
        .image;
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for dest in [
        format!("oci-dir:{}/layout", dir.path().display()),
        format!("oci-archive:{}/image.oci.tar", dir.path().display()),
        format!("docker-archive:{}/image.docker.tar", dir.path().display()),
    ] {
        let d = Dest::parse(&dest).unwrap();
        store::write_dest(&d, &image, "tentacular-engine:test").unwrap();
        let source = Source::parse(&d.path().display().to_string()).unwrap();
        let back = rt
            .block_on(store::read_source(
                &source,
                host_platform(),
                &RegistryOptions::default(),
                &Silent,
            ))
            .unwrap();
        assert_eq!(back.digest(), image.digest(), "{dest}");
        assert_eq!(back.manifest_bytes(), image.manifest_bytes(), "{dest}");
    }
    // Writing an archive twice gives the same file.
    let again = dir.path().join("again.docker.tar");
    archive::write_docker_archive(&again, &image, "tentacular-engine:test").unwrap();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(dir.path().join("image.docker.tar")).unwrap()
    );
}

#[test]
fn a_layout_with_several_images_needs_a_name_and_says_which_exist() {
    let dir = tempfile::tempdir().unwrap();
    let a = glibc_base_for(&host_binary());
    let b = tentacular_image::Image::scratch(host_platform());
    layout::write_dir(dir.path(), &a, Some("a:1")).unwrap();
    layout::write_dir(dir.path(), &b, Some("b:1")).unwrap();
    assert_eq!(
        layout::read_dir(dir.path(), Some("b:1"), host_platform())
            .unwrap()
            .digest(),
        b.digest()
    );
    assert_eq!(
        layout::read_dir(dir.path(), Some("1"), host_platform())
            .unwrap()
            .digest(),
        a.digest()
    );
    let e = layout::read_dir(dir.path(), None, host_platform())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("lists 2 images") && e.contains("a:1, b:1"),
        "{e}"
    );
    // Replacing a name keeps one entry for it.
    layout::write_dir(dir.path(), &b, Some("a:1")).unwrap();
    assert_eq!(
        layout::read_dir(dir.path(), Some("a:1"), host_platform())
            .unwrap()
            .digest(),
        b.digest()
    );
    // A corrupt blob is caught when read, and repaired by the next write.
    layout::write_dir(dir.path(), &a, Some("c:1")).unwrap();
    let blob = dir
        .path()
        .join("blobs/sha256")
        .join(a.manifest().layers[0].digest.hex());
    std::fs::write(&blob, b"tampered").unwrap();
    assert!(
        layout::read_dir(dir.path(), Some("b:1"), host_platform()).is_ok(),
        "b does not use it"
    );
    let e = layout::read_dir(dir.path(), Some("c:1"), host_platform())
        .unwrap_err()
        .to_string();
    assert!(e.contains("corrupt"), "{e}");
    layout::write_dir(dir.path(), &a, Some("c:1")).unwrap();
    assert_eq!(
        layout::read_dir(dir.path(), Some("c:1"), host_platform())
            .unwrap()
            .digest(),
        a.digest()
    );
}
