//! Tentacular's engine image, built without a container engine.
//!
//! An image here is a base (a registry reference, an OCI layout, an archive, or nothing at
//! all) plus layers of files, with a config for the pod: user 65534, the engine as
//! entrypoint, its cache under the writable `/tmp`. Everything is **deterministic**: the same
//! inputs give the same bytes, and so the same digest, on any machine and from any directory
//! (sorted tar entries, fixed mtimes, uid/gid 0 without names, gzip at a fixed level, config
//! JSON with sorted keys, no local paths recorded).
//!
//! - [`layer::LayerBuilder`]: files, directories, symlinks → one gzip layer.
//! - [`ImageBuilder`]: a base + layers + [`ImageSettings`] → an [`Image`].
//! - [`engine::EngineImage`]: the engine image as `tntc build` makes it, with a hook for
//!   more layers ([`engine::EngineImage::extra_layer`], for the Deno binary and its cache).
//! - [`deno`]: the Deno layer (`--with-deno`): the pinned Deno binary and a workflow's locked
//!   npm packages, read-only, with `DENO_DIR` under `/tmp`.
//! - [`elf`]: the engine binary's architecture, interpreter and libraries, so `--platform`
//!   defaults to the binary's and a glibc engine is not put on a base without glibc.
//! - [`layout`], [`archive`], [`store`]: OCI layouts, OCI and Docker archives.
//! - [`registry::Remote`]: push and pull with `oci-client`; credentials from the docker
//!   config; blobs the registry has are not sent again; [`progress`] per blob.
//!
//! ```
//! use tentacular_image::{Image, ImageBuilder, Platform, layer::LayerBuilder, layout};
//!
//! let mut files = LayerBuilder::new();
//! files.file("/etc/motd", b"hello\n".to_vec(), 0o644)?;
//! let image = ImageBuilder::new(Image::scratch(Platform::Amd64), Platform::Amd64)
//!     .layer(files.build("motd")?)
//!     .build()?;
//! let dir = tempfile::tempdir().unwrap();
//! layout::write_dir(dir.path(), &image, Some("motd:1"))?;
//! let back = layout::read_dir(dir.path(), Some("motd:1"), Platform::Amd64)?;
//! assert_eq!(back.digest(), image.digest());
//! # Ok::<(), tentacular_image::Error>(())
//! ```
#![deny(missing_docs)]

pub mod archive;
mod builder;
mod config;
pub mod deno;
pub mod digest;
pub mod elf;
pub mod engine;
pub mod error;
mod image;
pub mod layer;
pub mod layout;
pub mod location;
pub mod oci;
pub mod platform;
pub mod progress;
pub mod registry;
pub mod rootfs;
pub mod store;

pub use builder::ImageBuilder;
pub use config::ImageSettings;
pub use digest::Digest;
pub use error::{Error, Result};
pub use image::Image;
pub use platform::Platform;
