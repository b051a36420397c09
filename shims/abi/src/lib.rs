//! The contract between the guest plugin (`shims/plugin`, compiled to wasm) and the host
//! (`tentacular-sandbox`): names and numbers that both sides must agree on, defined once.
//!
//! Every host import except the snapshot-input pair takes the calling **realm** (the node's
//! entry index in the workflow snapshot) as its first argument. The host knows which realm it
//! is invoking and refuses (traps) a call from any other realm, so code of one node can never
//! act with another node's grants, even if it somehow ran during the other's invocation.
//!
//! | direction | name | signature | when |
//! |---|---|---|---|
//! | export | [`EXPORT_INIT`] | `()` | snapshot time: one realm per entry, prelude and node modules evaluated |
//! | export | [`EXPORT_CALL`] | `(entry, ptr, len) -> *[status, ptr, len]` | one invocation of one entry |
//! | export | [`EXPORT_REALLOC`] | `(old, old_size, align, size) -> ptr` | guest allocation for the host |
//! | import | `snapshot_input_len` / `snapshot_input` | `() -> len` / `(dst)` | snapshot time only |
//! | import | `load_status` | `(realm, status, ptr, len)` | snapshot time only, once per entry |
//! | import | `log` | `(realm, level, ptr, len)` | invocation |
//! | import | `call` | `(realm, service, ptr, len) -> len` then `call_result(realm, dst)` | invocation: a synchronous host service ([`Service`]) |
//! | import | `start` | `(realm, op, a_ptr, a_len, b_ptr, b_len) -> handle` | invocation: starts an asynchronous operation ([`Op`]) |
//! | import | `wait` | `(realm, dst) -> ready` | invocation: suspends until an operation completes; writes a [`Completion`] |
//! | import | `op_result` | `(realm, handle, meta_dst, body_dst)` | invocation: copies out a completed operation's result |
//! | import | `cancel` | `(realm, handle)` | invocation: abandons an operation (clearTimeout, abort) |

/// The wasm import module of every `tentacular.*` host function.
pub const IMPORT_MODULE: &str = "tentacular";
/// Snapshot-time initialisation export (run by wizer).
pub const EXPORT_INIT: &str = "wizer-initialize";
/// Invocation export.
pub const EXPORT_CALL: &str = "tntc_call";
/// Guest allocator export.
pub const EXPORT_REALLOC: &str = "cabi_realloc";

/// Outcome of one invocation (`tntc_call`'s first result word).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// The bytes are the node's output as JSON text.
    Ok = 0,
    /// The bytes are a JSON error description `{kind, name, message, stack}`.
    Error = 1,
}

/// Outcome of loading one entry at snapshot time (`load_status`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadStatus {
    /// The entry loaded: its realm holds the prelude, its modules and its `run`.
    Ok = 0,
    /// The entry did not load; the bytes are a JSON error description.
    Error = 1,
}

/// Log levels of `log`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `console.debug`, `ctx.log.debug`.
    Debug = 0,
    /// `console.log`/`info`, `ctx.log.info`.
    Info = 1,
    /// `console.warn`, `ctx.log.warn`.
    Warn = 2,
    /// `console.error`, `ctx.log.error`.
    Error = 3,
}

/// Asynchronous host operations (`start`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An HTTP request: `a` is the JSON request description, `b` the body bytes.
    Fetch = 1,
    /// A timer: `a` is the delay in milliseconds as a little-endian `f64`; `b` is empty.
    Timer = 2,
}

/// Synchronous host services (`call`): native work the guest cannot do well itself.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Web Crypto and compression primitives; the request is a JSON header, a NUL byte, then
    /// raw data bytes; the answer is raw bytes (or a JSON error with status [`ERROR_BIT`]).
    Crypto = 1,
    /// URL parsing and serialisation through the WHATWG `url` crate.
    Url = 2,
    /// Compression streams (gzip, deflate, deflate-raw).
    Compression = 3,
}

/// Set in `call`'s 64-bit answer when the service failed: the result bytes are then a JSON
/// error `{name, message}` rather than the service's answer.
pub const ERROR_BIT: u64 = 1 << 63;

/// Outcome of an operation, in a [`Completion`].
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpStatus {
    /// `meta` is the JSON result (for a fetch: status, headers, url), `body` the bytes.
    Ok = 0,
    /// `meta` is a JSON error `{name, message}` the guest rethrows.
    Error = 1,
}

/// What `wait` writes at `dst`: four little-endian `u32`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// The handle `start` returned.
    pub handle: u32,
    /// [`OpStatus`] as a number.
    pub status: u32,
    /// Length of the metadata (JSON) part.
    pub meta_len: u32,
    /// Length of the body part.
    pub body_len: u32,
}

impl Completion {
    /// Size of the encoded form.
    pub const SIZE: usize = 16;

    /// The encoded form.
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        for (i, v) in [self.handle, self.status, self.meta_len, self.body_len]
            .into_iter()
            .enumerate()
        {
            out[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Decodes what [`Completion::encode`] wrote.
    pub fn decode(bytes: &[u8; Self::SIZE]) -> Self {
        let word = |i: usize| {
            u32::from_le_bytes([
                bytes[i * 4],
                bytes[i * 4 + 1],
                bytes[i * 4 + 2],
                bytes[i * 4 + 3],
            ])
        };
        Completion {
            handle: word(0),
            status: word(1),
            meta_len: word(2),
            body_len: word(3),
        }
    }
}

macro_rules! from_u32 {
    ($($t:ident { $($v:ident),* })*) => {$(
        impl $t {
            /// The variant numbered `n`, if any.
            pub fn from_u32(n: u32) -> Option<Self> {
                $(if n == $t::$v as u32 { return Some($t::$v); })*
                None
            }
        }
    )*};
}
from_u32! {
    CallStatus { Ok, Error }
    LoadStatus { Ok, Error }
    Level { Debug, Info, Warn, Error }
    Op { Fetch, Timer }
    Service { Crypto, Url, Compression }
    OpStatus { Ok, Error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_round_trip() {
        let c = Completion {
            handle: 7,
            status: 1,
            meta_len: 300,
            body_len: 1 << 20,
        };
        assert_eq!(Completion::decode(&c.encode()), c);
    }

    #[test]
    fn numbers_map_back_to_their_variants() {
        assert_eq!(Op::from_u32(2), Some(Op::Timer));
        assert_eq!(Op::from_u32(9), None);
        assert_eq!(Level::from_u32(3), Some(Level::Error));
        assert_eq!(Service::from_u32(0), None);
    }
}
