//! The snapshot-time payload: prelude source, the modules of a workflow's nodes and their
//! entry points (one snapshot holds every node of a workflow, each in a realm of its own;
//! each invocation calls one).
//!
//! Framing (all integers little-endian u32): `prelude_len prelude  module_count
//! (name_len name source_len source)*  entry_count (entry_len entry  dep_count dep_index*)*`,
//! where an entry's `dep_index`es point into the module table, in evaluation order (its
//! imports first, the entry module last). No entries means a snapshot of the prelude only.

use crate::bridge;

/// What the host hands the guest at snapshot time.
pub struct SnapshotInput {
    /// Source of the JS prelude; evaluating it yields the `invoke` function.
    pub prelude: String,
    /// Module name (already canonicalised by the host) → JS source. A module several nodes
    /// import is sent once and evaluated in each of their realms.
    pub modules: Vec<(String, String)>,
    /// The nodes: entry module name and the modules it needs, in declaration order.
    pub entries: Vec<Entry>,
}

/// One node of the snapshot.
pub struct Entry {
    /// The node's entry module name.
    pub name: String,
    /// Indexes into [`SnapshotInput::modules`]: what the entry imports, then the entry itself.
    pub modules: Vec<usize>,
}

impl SnapshotInput {
    /// Reads the payload from the host.
    pub fn read() -> Self {
        let bytes = bridge::snapshot_input();
        let mut cursor = Cursor {
            bytes: &bytes,
            at: 0,
        };
        let prelude = cursor.string();
        let count = cursor.u32();
        let modules = (0..count)
            .map(|_| (cursor.string(), cursor.string()))
            .collect();
        let entries = (0..cursor.u32())
            .map(|_| {
                let name = cursor.string();
                let deps = cursor.u32();
                let modules = (0..deps).map(|_| cursor.u32() as usize).collect();
                Entry { name, modules }
            })
            .collect();
        SnapshotInput {
            prelude,
            modules,
            entries,
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
