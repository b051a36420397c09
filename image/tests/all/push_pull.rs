//! Push and pull against a real registry on 127.0.0.1 (Debian's docker-registry).

use tentacular_image::engine::EngineImage;
use tentacular_image::progress::{BlobOutcome, Progress, Silent};
use tentacular_image::registry::{Credentials, RegistryOptions, Remote};
use tentacular_image::{Digest, Image};

use crate::support::tools::{Registry, have};
use crate::support::{glibc_base_for, host_binary, host_platform};

fn image() -> Image {
    EngineImage::new(host_binary(), "0.1.0")
        .build(glibc_base_for(&host_binary()), "b", false)
        .unwrap()
        .image
}

fn insecure() -> RegistryOptions {
    RegistryOptions {
        insecure: true,
        credentials: Credentials::Anonymous,
    }
}

/// Records what a push reports, to check the progress calls add up.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<(String, u64)>>);

impl Progress for Recorder {
    fn start(&self, d: &Digest, size: u64, _: &str) {
        self.0.lock().unwrap().push((format!("start {d}"), size));
    }
    fn advance(&self, d: &Digest, n: u64) {
        self.0.lock().unwrap().push((format!("advance {d}"), n));
    }
    fn finish(&self, d: &Digest, o: BlobOutcome) {
        self.0
            .lock()
            .unwrap()
            .push((format!("finish {d} {o:?}"), 0));
    }
}

#[test]
fn push_then_pull_by_digest_gives_the_same_bytes_and_a_second_push_sends_nothing() {
    if !have(&["docker-registry"]) {
        return;
    }
    let reg = Registry::start();
    let image = image();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let reference = format!("{}/tentacular-engine:test", reg.addr);
    let remote = Remote::new(&reference, &insecure()).unwrap();
    let rec = Recorder::default();
    let report = rt.block_on(remote.push(&image, &rec)).unwrap();
    assert_eq!(report.digest, image.digest());
    assert_eq!(
        report.pinned,
        format!("{}/tentacular-engine@{}", reg.addr, image.digest())
    );
    assert!(
        report
            .blobs
            .iter()
            .all(|b| b.outcome == BlobOutcome::Uploaded),
        "{report:?}"
    );
    assert_eq!(
        report.uploaded_bytes(),
        image.size() - image.manifest_bytes().len() as u64
    );
    // Progress: every uploaded byte was reported, per blob.
    let events = rec.0.lock().unwrap().clone();
    for b in &report.blobs {
        let sent: u64 = events
            .iter()
            .filter(|(e, _)| *e == format!("advance {}", b.digest))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(sent, b.size, "{}", b.digest);
    }

    let by_digest = Remote::new(&report.pinned, &insecure()).unwrap();
    let back = rt
        .block_on(by_digest.pull(host_platform(), &Silent))
        .unwrap();
    assert_eq!(back.manifest_bytes(), image.manifest_bytes());
    assert_eq!(back.config_bytes(), image.config_bytes());
    let ours: Vec<_> = image.layers().map(|(_, b)| b.clone()).collect();
    let theirs: Vec<_> = back.layers().map(|(_, b)| b.clone()).collect();
    assert_eq!(ours, theirs);

    let again = rt.block_on(remote.push(&image, &Silent)).unwrap();
    assert!(
        again
            .blobs
            .iter()
            .all(|b| b.outcome == BlobOutcome::Existed),
        "{again:?}"
    );
    assert_eq!(again.uploaded_bytes(), 0);
}

#[test]
fn a_registry_that_wants_a_login_gets_it_from_the_flags_or_the_docker_config() {
    if !have(&["docker-registry"]) {
        return;
    }
    let reg = Registry::start_with_user("ci", "s3cret");
    let image = Image::scratch(host_platform());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let reference = format!("{}/base:1", reg.addr);

    let anonymous = Remote::new(&reference, &insecure()).unwrap();
    let e = rt.block_on(anonymous.push(&image, &Silent)).unwrap_err();
    let chain = format!(
        "{e}: {}",
        std::error::Error::source(&e)
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(chain.contains(&reference), "{chain}");

    let basic = RegistryOptions {
        insecure: true,
        credentials: Credentials::Basic {
            username: "ci".into(),
            password: "s3cret".into(),
        },
    };
    rt.block_on(
        Remote::new(&reference, &basic)
            .unwrap()
            .push(&image, &Silent),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    // base64("ci:s3cret")
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"Y2k6czNjcmV0"}}}}}}"#,
            reg.addr
        ),
    )
    .unwrap();
    let from_file = RegistryOptions {
        insecure: true,
        credentials: Credentials::DockerConfigFile(config),
    };
    let pulled = rt
        .block_on(
            Remote::new(&reference, &from_file)
                .unwrap()
                .pull(host_platform(), &Silent),
        )
        .unwrap();
    assert_eq!(pulled.digest(), image.digest());
}
