//! Reading scalar and list values with their types checked, and free-form values as JSON.

use saphyr::{Scalar, YamlData};
use saphyr_parser::Span;
use serde_json::{Map, Number, Value};

use crate::yaml::{Node, Reader, kind, scalar_key, unwrap_tag};

impl Reader<'_> {
    /// Reports that `node`, which is `what`, is not `must` (e.g. "a string"); gives nothing.
    fn expected<T>(
        &mut self,
        node: &Node<'_>,
        code: &'static str,
        what: &str,
        must: &str,
        hint: Option<String>,
    ) -> Option<T> {
        let found = kind(node);
        self.error(
            node.span,
            code,
            format!("{what} must be {must}, found {found}"),
            hint,
        );
        None
    }

    /// A string. Numbers and booleans are errors with a hint to quote them.
    pub(crate) fn string(&mut self, node: &Node<'_>, what: &str) -> Option<String> {
        match &unwrap_tag(node).data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Representation(s, _, _) => Some(s.to_string()),
            YamlData::Value(_) => {
                let raw = self.text(node.span);
                self.expected(
                    node,
                    "expected-string",
                    what,
                    "a string",
                    Some(format!("quote it: \"{raw}\"")),
                )
            }
            _ => self.expected(node, "expected-string", what, "a string", None),
        }
    }

    /// A string, or a number/boolean taken as written (for free-form labels).
    pub(crate) fn scalar_text(&mut self, node: &Node<'_>, what: &str) -> Option<String> {
        match &unwrap_tag(node).data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(Scalar::Null) => Some(String::new()),
            YamlData::Value(_) | YamlData::Representation(..) => Some(self.text(node.span)),
            _ => self.expected(node, "expected-string", what, "a string", None),
        }
    }

    /// `true` or `false`.
    pub(crate) fn boolean(&mut self, node: &Node<'_>, what: &str) -> Option<bool> {
        match &unwrap_tag(node).data {
            YamlData::Value(Scalar::Boolean(b)) => Some(*b),
            _ => self.expected(node, "expected-boolean", what, "true or false", None),
        }
    }

    /// A whole number within `min..=max`.
    pub(crate) fn integer(
        &mut self,
        node: &Node<'_>,
        what: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let n = match &unwrap_tag(node).data {
            YamlData::Value(Scalar::Integer(n)) => Some(*n),
            YamlData::Value(Scalar::String(s)) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.error(
                    node.span,
                    "out-of-range",
                    format!("{what} must be between {min} and {max}, found {n}"),
                    None,
                );
                None
            }
            None => self.expected(node, "expected-integer", what, "a whole number", None),
        }
    }

    /// A list; each item is passed to `each` with its index.
    pub(crate) fn list<'n, 'a>(
        &mut self,
        node: &'n Node<'a>,
        what: &str,
        hint: Option<String>,
    ) -> Option<&'n [Node<'a>]> {
        match &unwrap_tag(node).data {
            YamlData::Sequence(items) => Some(items.as_slice()),
            _ => self.expected(node, "expected-list", what, "a list", hint),
        }
    }

    /// A list of strings, or a single string taken as a one-item list.
    pub(crate) fn string_list(
        &mut self,
        node: &Node<'_>,
        what: &str,
    ) -> Option<Vec<(String, Span)>> {
        if let YamlData::Value(Scalar::String(s)) = &unwrap_tag(node).data {
            return Some(vec![(s.to_string(), node.span)]);
        }
        let items = self.list(node, what, None)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match self.string(item, &format!("each item of {what}")) {
                Some(s) => out.push((s, item.span)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Converts a YAML value to JSON, for free-form values (`config`, `x-*`). Mapping keys
    /// that are numbers or booleans become strings; non-finite floats are errors.
    pub(crate) fn json_value(&mut self, node: &Node<'_>) -> Option<Value> {
        Some(match &unwrap_tag(node).data {
            YamlData::Value(s) => match s {
                Scalar::Null => Value::Null,
                Scalar::Boolean(b) => Value::Bool(*b),
                Scalar::Integer(i) => Value::from(*i),
                Scalar::FloatingPoint(f) => match Number::from_f64(f.into_inner()) {
                    Some(n) => Value::Number(n),
                    None => {
                        self.error(
                            node.span,
                            "non-finite-number",
                            "infinite and NaN numbers cannot be passed to nodes (JSON has no such values)",
                            Some("quote it to pass it as a string".into()),
                        );
                        return None;
                    }
                },
                Scalar::String(s) => Value::String(s.to_string()),
            },
            YamlData::Representation(s, _, _) => Value::String(s.to_string()),
            YamlData::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.json_value(i)?);
                }
                Value::Array(out)
            }
            YamlData::Mapping(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    let Some(key) = scalar_key(k) else {
                        self.error(
                            k.span,
                            "key-not-scalar",
                            format!("mapping keys must be plain names, found {}", kind(k)),
                            None,
                        );
                        return None;
                    };
                    let v = self.json_value(v)?;
                    out.insert(key, v);
                }
                Value::Object(out)
            }
            _ => {
                self.error(node.span, "bad-value", "this value cannot be read", None);
                return None;
            }
        })
    }
}
