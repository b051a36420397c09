//! What an executable needs from the image around it: its architecture (so `--platform` can
//! default to it and be checked against it), its program interpreter and its shared
//! libraries (so a dynamically linked engine is not put on a base that cannot run it).

use std::path::Path;

use object::elf::{DT_NEEDED, EM_AARCH64, EM_X86_64, ET_DYN, ET_EXEC};
use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, FileKind};

use crate::error::{Error, Result};
use crate::platform::Platform;

/// What [`inspect`] found in an ELF executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    /// The platform it runs on.
    pub platform: Platform,
    /// The program interpreter (`PT_INTERP`), e.g. `/lib64/ld-linux-x86-64.so.2`; `None` for
    /// a static executable.
    pub interpreter: Option<String>,
    /// The shared libraries it names (`DT_NEEDED`), e.g. `libc.so.6`; empty when static.
    pub needed: Vec<String>,
}

impl ElfInfo {
    /// True for a statically linked executable (no program interpreter).
    pub fn is_static(&self) -> bool {
        self.interpreter.is_none()
    }
}

/// Reads the ELF header, program headers and dynamic section of the executable at `path`.
pub fn inspect(path: &Path) -> Result<ElfInfo> {
    let data = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    inspect_bytes(&data).map_err(|reason| Error::NotAnEngine {
        path: path.into(),
        reason,
    })
}

/// [`inspect`] on bytes already read; the error says what the bytes are instead.
pub fn inspect_bytes(data: &[u8]) -> std::result::Result<ElfInfo, String> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => return Err("a 32-bit ELF file".into()),
        Ok(other) => return Err(format!("a {other:?} file, not ELF")),
        Err(_) => return Err("not an executable file".into()),
    }
    let file =
        ElfFile64::<Endianness>::parse(data).map_err(|e| format!("a broken ELF file ({e})"))?;
    let endian = file.endian();
    let header = file.elf_header();
    let kind = header.e_type(endian);
    if kind != ET_EXEC && kind != ET_DYN {
        return Err("an ELF object or core file, not an executable".into());
    }
    let platform = match header.e_machine(endian) {
        EM_X86_64 => Platform::Amd64,
        EM_AARCH64 => Platform::Arm64,
        other => return Err(format!("an ELF executable for machine type {other}")),
    };
    let mut interpreter = None;
    for ph in file.elf_program_headers() {
        if let Some(bytes) = ph
            .interpreter(endian, data)
            .map_err(|e| format!("a broken ELF file ({e})"))?
        {
            interpreter = Some(String::from_utf8_lossy(bytes).into_owned());
        }
    }
    let dynamic = file
        .elf_section_table()
        .dynamic_table(endian, data)
        .map_err(|e| format!("a broken ELF file ({e})"))?;
    let mut needed = Vec::new();
    for d in &dynamic {
        if d.tag == DT_NEEDED {
            let name = dynamic
                .string(d)
                .map_err(|e| format!("a broken ELF file ({e})"))?;
            needed.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    Ok(ElfInfo {
        platform,
        interpreter,
        needed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_test_binary_is_understood() {
        let me = std::env::current_exe().unwrap();
        let info = inspect(&me).unwrap();
        #[cfg(target_arch = "x86_64")]
        assert_eq!(info.platform, Platform::Amd64);
        #[cfg(target_arch = "aarch64")]
        assert_eq!(info.platform, Platform::Arm64);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            assert!(!info.is_static());
            assert!(
                info.needed.iter().any(|n| n.starts_with("libc.so")),
                "{info:?}"
            );
        }
    }

    #[test]
    fn non_executables_are_refused_with_what_they_are() {
        assert_eq!(
            inspect_bytes(b"#!/bin/sh\necho hi\n").unwrap_err(),
            "not an executable file"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("engine");
        std::fs::write(&p, b"hello").unwrap();
        let e = inspect(&p).unwrap_err().to_string();
        assert!(
            e.contains("is not a Linux executable") && e.contains("hint:"),
            "{e}"
        );
    }
}
