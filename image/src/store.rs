//! Reading a base image from wherever `--base` says, writing an image where `--dest` says.

use crate::archive;
use crate::error::Result;
use crate::image::Image;
use crate::layout;
use crate::location::{Dest, Source};
use crate::platform::Platform;
use crate::progress::Progress;
use crate::registry::{RegistryOptions, Remote};

/// Reads the `platform` image of `source` (a registry reference is pulled with `registry`).
pub async fn read_source(
    source: &Source,
    platform: Platform,
    registry: &RegistryOptions,
    progress: &dyn Progress,
) -> Result<Image> {
    match source {
        Source::Scratch => Ok(Image::scratch(platform)),
        Source::OciDir(dir) => layout::read_dir(dir, None, platform),
        Source::Archive(path) => archive::read_archive(path, None, platform),
        Source::Registry(reference) => {
            Remote::new(reference, registry)?
                .pull(platform, progress)
                .await
        }
    }
}

/// Writes `image` to `dest` under `name` (e.g. `tentacular-engine:latest`): the layout's
/// `org.opencontainers.image.ref.name`, the docker archive's repository tag.
pub fn write_dest(dest: &Dest, image: &Image, name: &str) -> Result<()> {
    match dest {
        Dest::OciDir(dir) => layout::write_dir(dir, image, Some(name)),
        Dest::OciArchive(path) => archive::write_oci_archive(path, image, Some(name)),
        Dest::DockerArchive(path) => archive::write_docker_archive(path, image, name),
    }
}
