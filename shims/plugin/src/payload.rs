//! The snapshot-time payload: prelude source, the node's modules and its entry point.
//!
//! Framing (all integers little-endian u32): `prelude_len prelude  module_count
//! (name_len name source_len source)*  entry_len entry` — an `entry_len` of 0 means "no node"
//! (a base snapshot with only the prelude).

use crate::bridge;

/// What the host hands the guest at snapshot time.
pub struct SnapshotInput {
    /// Source of the JS prelude; evaluating it yields the `invoke` function.
    pub prelude: String,
    /// Module name (already canonicalised by the host) → JS source.
    pub modules: Vec<(String, String)>,
    /// The node's entry module name, if this is a node snapshot.
    pub entry: Option<String>,
}

impl SnapshotInput {
    /// Reads the payload from the host.
    pub fn read() -> Self {
        let bytes = bridge::snapshot_input();
        let mut cursor = Cursor { bytes: &bytes, at: 0 };
        let prelude = cursor.string();
        let count = cursor.u32();
        let modules = (0..count).map(|_| (cursor.string(), cursor.string())).collect();
        let entry = cursor.string();
        SnapshotInput {
            prelude,
            modules,
            entry: (!entry.is_empty()).then_some(entry),
        }
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn u32(&mut self) -> u32 {
        let v = u32::from_le_bytes(self.bytes[self.at..self.at + 4].try_into().unwrap());
        self.at += 4;
        v
    }

    fn string(&mut self) -> String {
        let len = self.u32() as usize;
        let s = String::from_utf8_lossy(&self.bytes[self.at..self.at + len]).into_owned();
        self.at += len;
        s
    }
}
