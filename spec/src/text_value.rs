//! [`text_value!`]: the `Display`, `Serialize`, `Deserialize` and `JsonSchema` of a value that
//! is written as text and keeps the text it was written as (a version, a duration, a CIDR …).

/// Implements, for a type with `fn as_str(&self) -> &str`:
/// `Display` and `Serialize` (the text as written) and `JsonSchema` (`schema = "Name", {…}`);
/// with `parse = f`, where `f: fn(&str) -> Result<Self, String>`, also `Deserialize`.
macro_rules! text_value {
    ($ty:ty, schema = $name:literal, $schema:tt $(, parse = $parse:expr)? $(,)?) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl ::schemars::JsonSchema for $ty {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!($schema)
            }
        }

        $(
            impl<'de> ::serde::Deserialize<'de> for $ty {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let parse: fn(&str) -> Result<Self, String> = $parse;
                    parse(&<String as ::serde::Deserialize>::deserialize(d)?)
                        .map_err(::serde::de::Error::custom)
                }
            }
        )?
    };
}

pub(crate) use text_value;
