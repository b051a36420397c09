//! `CompressionStream`/`DecompressionStream` formats (gzip, deflate, deflate-raw) through
//! `flate2`. Decompression stops with a `QuotaExceededError` as soon as its output would pass
//! the node's memory limit, so a small bomb cannot make the host allocate a large answer.
//!
//! | `op` | header | data | answer |
//! |---|---|---|---|
//! | `compress` | `{format}` | the whole input | the compressed bytes |
//! | `decompress` | `{format}` | the whole compressed input | the bytes, or a `TypeError` when corrupt |

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use serde::Deserialize;

use super::{Request, ServiceError};

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
enum Header {
    Compress { format: String },
    Decompress { format: String },
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Gzip,
    Deflate,
    DeflateRaw,
}

impl Format {
    fn parse(name: &str) -> Result<Format, ServiceError> {
        match name {
            "gzip" => Ok(Format::Gzip),
            "deflate" => Ok(Format::Deflate),
            "deflate-raw" => Ok(Format::DeflateRaw),
            _ => Err(ServiceError::new(
                "TypeError",
                format!("unsupported compression format \"{name}\" (gzip, deflate, deflate-raw)"),
            )),
        }
    }
}

fn compress(format: Format, data: &[u8]) -> std::io::Result<Vec<u8>> {
    let level = Compression::default();
    match format {
        Format::Gzip => {
            let mut e = GzEncoder::new(Vec::new(), level);
            e.write_all(data)?;
            e.finish()
        }
        Format::Deflate => {
            let mut e = ZlibEncoder::new(Vec::new(), level);
            e.write_all(data)?;
            e.finish()
        }
        Format::DeflateRaw => {
            let mut e = DeflateEncoder::new(Vec::new(), level);
            e.write_all(data)?;
            e.finish()
        }
    }
}

fn decompress(format: Format, data: &[u8], max: usize) -> Result<Vec<u8>, ServiceError> {
    let reader: Box<dyn Read + '_> = match format {
        Format::Gzip => Box::new(GzDecoder::new(data)),
        Format::Deflate => Box::new(ZlibDecoder::new(data)),
        Format::DeflateRaw => Box::new(DeflateDecoder::new(data)),
    };
    let mut out = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over it".
    let read = reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            ServiceError::new("TypeError", format!("the compressed data is invalid: {e}"))
        })?;
    if read > max {
        return Err(ServiceError::new(
            "QuotaExceededError",
            format!("the decompressed data exceeds this node's memory limit ({max} bytes)"),
        ));
    }
    Ok(out)
}

/// Answers one compression request; output is bounded by `max` bytes.
pub(super) fn call(bytes: &[u8], max: usize) -> Result<Vec<u8>, ServiceError> {
    let Request { header, data } = Request::<Header>::split(bytes)?;
    match header {
        Header::Compress { format } => compress(Format::parse(&format)?, data)
            .map_err(|e| ServiceError::new("TypeError", format!("compression failed: {e}"))),
        Header::Decompress { format } => decompress(Format::parse(&format)?, data, max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::services::encode as req;

    #[test]
    fn every_format_round_trips() {
        let text = "hello hello hello hello".repeat(100);
        for f in ["gzip", "deflate", "deflate-raw"] {
            let packed = call(
                &req(
                    &format!("{{\"op\":\"compress\",\"format\":\"{f}\"}}"),
                    text.as_bytes(),
                ),
                1 << 20,
            )
            .unwrap();
            assert!(packed.len() < text.len() / 4, "{f}");
            let back = call(
                &req(
                    &format!("{{\"op\":\"decompress\",\"format\":\"{f}\"}}"),
                    &packed,
                ),
                1 << 20,
            )
            .unwrap();
            assert_eq!(back, text.as_bytes(), "{f}");
        }
        assert_eq!(
            &call(&req("{\"op\":\"compress\",\"format\":\"gzip\"}", b"x"), 100).unwrap()[..2],
            &[0x1f, 0x8b]
        );
    }

    #[test]
    fn a_bomb_stops_at_the_memory_limit_and_garbage_is_a_type_error() {
        let zeros = vec![0u8; 4 << 20];
        let packed = compress(Format::Gzip, &zeros).unwrap();
        let e = call(
            &req("{\"op\":\"decompress\",\"format\":\"gzip\"}", &packed),
            1 << 20,
        )
        .unwrap_err();
        assert_eq!(e.name, "QuotaExceededError");
        let e = call(
            &req("{\"op\":\"decompress\",\"format\":\"gzip\"}", b"not gzip"),
            1 << 20,
        )
        .unwrap_err();
        assert_eq!(e.name, "TypeError");
    }
}
