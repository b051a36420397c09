//! The same inputs give the same digest: whatever directory the files are in, whatever their
//! host mtime, owner or extra permission bits, and in whatever order layers' files were added.

use std::os::unix::fs::PermissionsExt;

use tentacular_image::engine::EngineImage;
use tentacular_image::{Image, layout};

use crate::support::{glibc_base_for, host_binary};

fn copy_engine(to: &std::path::Path, mode: u32, mtime_secs: u64) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(host_binary(), to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).unwrap();
    let f = std::fs::File::options().write(true).open(to).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime_secs))
        .unwrap();
}

fn build(engine: &std::path::Path, base: &Image) -> Image {
    let mut spec = EngineImage::new(engine, "0.1.0");
    spec.revision(Some("abc123".into()));
    spec.build(base.clone(), "test base", false).unwrap().image
}

#[test]
fn two_builds_from_different_directories_have_one_digest() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ea = a.path().join("engine");
    let eb = b.path().join("deep/er/tentacular-engine");
    copy_engine(&ea, 0o755, 1_000);
    copy_engine(&eb, 0o700, 1_700_000_000);
    let base = glibc_base_for(&host_binary());
    let first = build(&ea, &base);
    let second = build(&eb, &base);
    assert_eq!(first.digest(), second.digest());
    assert_eq!(first.manifest_bytes(), second.manifest_bytes());
    assert_eq!(first.config_bytes(), second.config_bytes());

    // And the bytes on disk: two layouts written in different places are identical files.
    let (la, lb) = (a.path().join("layout"), b.path().join("x/layout"));
    layout::write_dir(&la, &first, Some("tentacular-engine:t")).unwrap();
    layout::write_dir(&lb, &second, Some("tentacular-engine:t")).unwrap();
    let files = crate::support::tools::files_under(&la);
    assert_eq!(files, crate::support::tools::files_under(&lb));
    for f in &files {
        assert_eq!(
            std::fs::read(la.join(f)).unwrap(),
            std::fs::read(lb.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn what_the_image_is_made_of_changes_the_digest() {
    let d = tempfile::tempdir().unwrap();
    let e = d.path().join("engine");
    copy_engine(&e, 0o755, 0);
    let base = glibc_base_for(&host_binary());
    let reference = build(&e, &base).digest();

    let mut other_version = EngineImage::new(&e, "0.2.0");
    other_version.revision(Some("abc123".into()));
    assert_ne!(
        other_version
            .build(base.clone(), "b", false)
            .unwrap()
            .image
            .digest(),
        reference
    );

    let mut other_epoch = EngineImage::new(&e, "0.1.0");
    other_epoch
        .revision(Some("abc123".into()))
        .epoch(1_700_000_000);
    let img = other_epoch.build(base.clone(), "b", false).unwrap().image;
    assert_ne!(img.digest(), reference);
    assert_eq!(img.config().unwrap()["created"], "2023-11-14T22:13:20Z");

    let mut bytes = std::fs::read(&e).unwrap();
    bytes.push(0);
    std::fs::write(&e, bytes).unwrap();
    assert_ne!(build(&e, &base).digest(), reference);
}
