//! A tiny glibc base image made from the host's own libraries: what a dynamically linked
//! engine needs to start, and nothing else. Shared by the image tests and tntc's build tests
//! (through `#[path]`); never downloaded.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tentacular_image::elf;
use tentacular_image::layer::LayerBuilder;
use tentacular_image::{Image, ImageBuilder, Platform};

/// Where the host keeps a shared library named `name`.
pub fn host_lib(name: &str) -> PathBuf {
    [
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib/aarch64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
    ]
    .iter()
    .map(|d| Path::new(d).join(name))
    .find(|p| p.exists())
    .unwrap_or_else(|| panic!("the host has no {name}"))
}

/// A base holding only what `binary` needs to start: its program interpreter and the shared
/// libraries it names, copied from the host to `/lib/<triplet>/` (and the interpreter to its
/// own path), plus `/tmp`.
pub fn glibc_base_for(binary: &Path) -> Image {
    glibc_base_for_all(&[binary])
}

/// [`glibc_base_for`] several binaries of one platform: the union of what they need.
pub fn glibc_base_for_all(binaries: &[&Path]) -> Image {
    let infos: Vec<_> = binaries.iter().map(|b| elf::inspect(b).unwrap()).collect();
    let info = infos[0].clone();
    let triplet = match info.platform {
        Platform::Amd64 => "x86_64-linux-gnu",
        Platform::Arm64 => "aarch64-linux-gnu",
    };
    let mut b = LayerBuilder::new();
    for info in &infos {
        let interp = info
            .interpreter
            .clone()
            .expect("a dynamically linked binary");
        b.file(&interp, std::fs::read(&interp).unwrap(), 0o755)
            .unwrap();
        for lib in &info.needed {
            let path = format!("/lib/{triplet}/{lib}");
            b.file(&path, std::fs::read(host_lib(lib)).unwrap(), 0o755)
                .unwrap();
        }
    }
    b.dir("/tmp", 0o1777).unwrap();
    ImageBuilder::new(Image::scratch(info.platform), info.platform)
        .layer(b.build("host glibc").unwrap())
        .build()
        .unwrap()
}
