//! WHATWG URL parsing and setters through the `url` crate (correct percent-encoding, IDNA,
//! IPv4/IPv6 hosts), for `shims/js/url.js`.
//!
//! | `op` | header | answer |
//! |---|---|---|
//! | `parse` | `{input, base?}` | the components as JSON, or a `TypeError` |
//! | `set` | `{href, part, value}` | the components after the setter (setters that fail leave the URL unchanged, as in browsers) |

use serde::Deserialize;
use serde_json::json;
use url::{Url, quirks};

use super::{Request, ServiceError};

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
enum Header {
    Parse {
        input: String,
        base: Option<String>,
    },
    Set {
        href: String,
        part: String,
        value: String,
    },
}

fn invalid(input: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::new("TypeError", format!("Invalid URL: \"{input}\": {e}"))
}

/// The components JS sees, in one JSON object.
fn components(u: &Url) -> Vec<u8> {
    json!({
        "href": quirks::href(u),
        "origin": quirks::origin(u),
        "protocol": quirks::protocol(u),
        "username": quirks::username(u),
        "password": quirks::password(u),
        "host": quirks::host(u),
        "hostname": quirks::hostname(u),
        "port": quirks::port(u),
        "pathname": quirks::pathname(u),
        "search": quirks::search(u),
        "hash": quirks::hash(u),
    })
    .to_string()
    .into_bytes()
}

/// Answers one URL request.
pub(super) fn call(bytes: &[u8]) -> Result<Vec<u8>, ServiceError> {
    let Request { header, .. } = Request::<Header>::split(bytes)?;
    match header {
        Header::Parse { input, base } => {
            let url = match base {
                Some(base) => {
                    let base = Url::parse(&base).map_err(|e| invalid(&base, e))?;
                    base.join(&input)
                }
                None => Url::parse(&input),
            }
            .map_err(|e| invalid(&input, e))?;
            Ok(components(&url))
        }
        Header::Set { href, part, value } => {
            let mut url = Url::parse(&href).map_err(|e| invalid(&href, e))?;
            // A failed setter leaves the URL as it was; only `href` throws.
            let _ = match part.as_str() {
                "href" => {
                    quirks::set_href(&mut url, &value).map_err(|e| invalid(&value, e))?;
                    Ok(())
                }
                "protocol" => quirks::set_protocol(&mut url, &value),
                "username" => quirks::set_username(&mut url, &value),
                "password" => quirks::set_password(&mut url, &value),
                "host" => quirks::set_host(&mut url, &value),
                "hostname" => quirks::set_hostname(&mut url, &value),
                "port" => quirks::set_port(&mut url, &value),
                "pathname" => {
                    quirks::set_pathname(&mut url, &value);
                    Ok(())
                }
                "search" => {
                    quirks::set_search(&mut url, &value);
                    Ok(())
                }
                "hash" => {
                    quirks::set_hash(&mut url, &value);
                    Ok(())
                }
                other => {
                    return Err(ServiceError::new(
                        "TypeError",
                        format!("URL has no settable part \"{other}\""),
                    ));
                }
            };
            Ok(components(&url))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parse(input: &str, base: Option<&str>) -> Result<Value, ServiceError> {
        let h = json!({"op": "parse", "input": input, "base": base}).to_string();
        call(h.as_bytes()).map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn parses_like_browsers() {
        let u = parse("HTTPS://münchen.example:443/a b/../c?q=ä#f g", None).unwrap();
        assert_eq!(u["href"], "https://xn--mnchen-3ya.example/c?q=%C3%A4#f%20g");
        assert_eq!(u["port"], "");
        assert_eq!(u["origin"], "https://xn--mnchen-3ya.example");
        let r = parse("../d?x", Some("http://h.example/a/b/c")).unwrap();
        assert_eq!(r["href"], "http://h.example/a/d?x");
        assert_eq!(
            parse("http://[::1]:8080/", None).unwrap()["host"],
            "[::1]:8080"
        );
        assert_eq!(
            parse("http://0x7f.1/", None).unwrap()["hostname"],
            "127.0.0.1"
        );
        assert_eq!(parse("nope", None).unwrap_err().name, "TypeError");
    }

    #[test]
    fn setters_follow_the_standard() {
        let set = |href: &str, part: &str, value: &str| -> Value {
            let h = json!({"op": "set", "href": href, "part": part, "value": value}).to_string();
            serde_json::from_slice(&call(h.as_bytes()).unwrap()).unwrap()
        };
        assert_eq!(
            set("http://a.example/", "port", "80")["href"],
            "http://a.example/"
        );
        assert_eq!(
            set("http://a.example/", "pathname", "x y")["pathname"],
            "/x%20y"
        );
        assert_eq!(
            set("http://a.example/", "port", "nope")["href"],
            "http://a.example/"
        );
        assert_eq!(
            set("http://a.example/?a", "search", "")["href"],
            "http://a.example/"
        );
    }
}
