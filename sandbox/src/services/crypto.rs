//! Web Crypto primitives for `crypto.subtle` (RustCrypto): `digest` with SHA-1/256/384/512 and
//! HMAC `sign`/`verify` over those hashes. Key bytes come from the guest with each call (the
//! guest's `CryptoKey` keeps them private and exports them only when extractable); the host
//! keeps nothing between calls and never substitutes a secret value here.
//!
//! | `op` | data | answer |
//! |---|---|---|
//! | `digest` `{alg}` | the message | the hash |
//! | `sign` `{hash, keyLen}` | key, message | the MAC |
//! | `verify` `{hash, keyLen, sigLen}` | key, signature, message | `[1]` or `[0]` (constant-time) |

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{Request, ServiceError};

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
enum Header {
    Digest {
        alg: String,
    },
    #[serde(rename_all = "camelCase")]
    Sign {
        hash: String,
        key_len: usize,
    },
    #[serde(rename_all = "camelCase")]
    Verify {
        hash: String,
        key_len: usize,
        sig_len: usize,
    },
}

#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn parse(name: &str) -> Result<Hash, ServiceError> {
        match name.to_ascii_uppercase().as_str() {
            "SHA-1" => Ok(Hash::Sha1),
            "SHA-256" => Ok(Hash::Sha256),
            "SHA-384" => Ok(Hash::Sha384),
            "SHA-512" => Ok(Hash::Sha512),
            _ => Err(ServiceError::new(
                "NotSupportedError",
                format!("the hash \"{name}\" is not supported (SHA-1, SHA-256, SHA-384, SHA-512)"),
            )),
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => Sha1::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// Runs `$body` with `$mac` bound to an HMAC over `hash` keyed with `key` (any length).
macro_rules! with_hmac {
    ($hash:expr, $key:expr, |$mac:ident| $body:expr) => {
        match $hash {
            Hash::Sha1 => {
                let $mac = Hmac::<Sha1>::new_from_slice($key).expect("HMAC takes any key length");
                $body
            }
            Hash::Sha256 => {
                let $mac = Hmac::<Sha256>::new_from_slice($key).expect("HMAC takes any key length");
                $body
            }
            Hash::Sha384 => {
                let $mac = Hmac::<Sha384>::new_from_slice($key).expect("HMAC takes any key length");
                $body
            }
            Hash::Sha512 => {
                let $mac = Hmac::<Sha512>::new_from_slice($key).expect("HMAC takes any key length");
                $body
            }
        }
    };
}

fn hmac_sign(hash: Hash, key: &[u8], data: &[u8]) -> Vec<u8> {
    with_hmac!(hash, key, |mac| {
        let mut mac = mac;
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    })
}

/// Constant-time comparison of the expected tag with `sig`.
fn hmac_verify(hash: Hash, key: &[u8], data: &[u8], sig: &[u8]) -> bool {
    with_hmac!(hash, key, |mac| {
        let mut mac = mac;
        mac.update(data);
        mac.verify_slice(sig).is_ok()
    })
}

fn take<'a>(data: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], ServiceError> {
    if n > data.len() {
        return Err(ServiceError::new(
            "TypeError",
            format!("malformed crypto request: the {what} is cut short"),
        ));
    }
    let (head, rest) = data.split_at(n);
    *data = rest;
    Ok(head)
}

/// Answers one crypto request.
pub(super) fn call(bytes: &[u8]) -> Result<Vec<u8>, ServiceError> {
    let Request { header, mut data } = Request::<Header>::split(bytes)?;
    match header {
        Header::Digest { alg } => Ok(Hash::parse(&alg)?.digest(data)),
        Header::Sign { hash, key_len } => {
            let hash = Hash::parse(&hash)?;
            let key = take(&mut data, key_len, "key")?;
            Ok(hmac_sign(hash, key, data))
        }
        Header::Verify {
            hash,
            key_len,
            sig_len,
        } => {
            let hash = Hash::parse(&hash)?;
            let key = take(&mut data, key_len, "key")?;
            let sig = take(&mut data, sig_len, "signature")?;
            Ok(vec![u8::from(hmac_verify(hash, key, data, sig))])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::services::encode as req;

    #[test]
    fn digests_match_the_standard_test_vectors() {
        for (alg, want) in [
            ("SHA-1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                "sha-256",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                "SHA-384",
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                "SHA-512",
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ] {
            let out = call(&req(
                &format!("{{\"op\":\"digest\",\"alg\":\"{alg}\"}}"),
                b"abc",
            ))
            .unwrap();
            assert_eq!(hex::encode(out), want, "{alg}");
        }
        let e = call(&req("{\"op\":\"digest\",\"alg\":\"MD5\"}", b"")).unwrap_err();
        assert_eq!(e.name, "NotSupportedError");
    }

    #[test]
    fn hmac_signs_and_verifies_rfc_4231_case_2() {
        let key = b"Jefe";
        let msg = b"what do ya want for nothing?";
        let want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let mut data = key.to_vec();
        data.extend_from_slice(msg);
        let tag = call(&req(
            "{\"op\":\"sign\",\"hash\":\"SHA-256\",\"keyLen\":4}",
            &data,
        ))
        .unwrap();
        assert_eq!(hex::encode(&tag), want);
        let verify = |sig: &[u8]| {
            let mut d = key.to_vec();
            d.extend_from_slice(sig);
            d.extend_from_slice(msg);
            call(&req(
                &format!(
                    "{{\"op\":\"verify\",\"hash\":\"SHA-256\",\"keyLen\":4,\"sigLen\":{}}}",
                    sig.len()
                ),
                &d,
            ))
            .unwrap()
        };
        assert_eq!(verify(&tag), vec![1]);
        let mut bad = tag.clone();
        bad[0] ^= 1;
        assert_eq!(verify(&bad), vec![0]);
        assert_eq!(verify(&tag[..16]), vec![0]);
    }

    #[test]
    fn a_request_cut_short_is_a_type_error() {
        let e = call(&req(
            "{\"op\":\"sign\",\"hash\":\"SHA-256\",\"keyLen\":100}",
            b"short",
        ))
        .unwrap_err();
        assert_eq!(e.name, "TypeError");
    }
}
