//! Reading a YAML tree with positions, collecting diagnostics instead of stopping at the first.
//!
//! The YAML is loaded with `saphyr` (YAML 1.2, the maintained successor of `yaml-rust2`): it
//! keeps a span on every node, keys included, rejects duplicate keys, and resolves anchors.
//! Strict typed lowering is done here by hand rather than through serde, because serde stops
//! at the first error and cannot point at a line; this way one pass reports every problem with
//! its line, column and a hint.

use std::collections::HashMap;

use indexmap::IndexMap;
use std::path::PathBuf;

use saphyr::{MarkedYaml, Scalar, YamlData};
use saphyr_parser::Span;

use crate::diagnostic::{Diagnostic, Severity};
use crate::ids::{InvalidId, NodeId};
use crate::values::Extensions;

pub(crate) type Node<'a> = MarkedYaml<'a>;

/// What to do with a key a mapping does not know.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// `x-*` keys are kept; anything else is an error.
    Reject,
    /// `x-*` keys are kept silently; anything else is kept with a warning (the original kept
    /// every unknown key of contracts and dependencies).
    KeepWithWarning,
}

/// Collects diagnostics for one file.
pub(crate) struct Reader<'s> {
    file: PathBuf,
    source: &'s str,
    lines: Vec<&'s str>,
    pub(crate) diags: Vec<Diagnostic>,
    /// The node whose entry is being read, attached to diagnostics.
    pub(crate) node: Option<NodeId>,
    /// The workflow directory, when node files are to be checked on disk.
    pub(crate) base_dir: Option<PathBuf>,
    /// Where things were written, for checks that span several parts of the file.
    pub(crate) spans: Spans,
}

/// Positions kept for cross-checks (edges against nodes, `uses` against the contract).
#[derive(Default)]
pub(crate) struct Spans {
    /// Each node's key, in the order written (ids that are valid even if their entry is not).
    pub(crate) nodes: IndexMap<NodeId, Span>,
    /// Each node's `path` value.
    pub(crate) paths: HashMap<NodeId, Span>,
    /// Each node's `uses` items, in order.
    pub(crate) uses: HashMap<NodeId, Vec<Span>>,
    /// Each edge's `from` and `to` values, in order.
    pub(crate) edges: Vec<(Span, Span)>,
    /// Each dependency's key.
    pub(crate) deps: HashMap<String, Span>,
}

/// One `key: value` entry of a mapping.
pub(crate) struct Field<'n, 'a> {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: &'n Node<'a>,
}

/// The entries of a mapping, taken one by one; whatever is left is unknown.
pub(crate) struct Fields<'n, 'a> {
    entries: Vec<Field<'n, 'a>>,
    taken: Vec<bool>,
    /// Where "missing key" errors point: the mapping's own key, or its start.
    pub(crate) anchor: Span,
}

impl<'n, 'a> Fields<'n, 'a> {
    /// The entry for `key`, if present (even when its value is null).
    pub(crate) fn entry(&mut self, key: &str) -> Option<&Field<'n, 'a>> {
        let i = self.entries.iter().position(|f| f.key == key)?;
        self.taken[i] = true;
        Some(&self.entries[i])
    }

    /// The value for `key`, unless absent or null (`key:` with nothing after it).
    pub(crate) fn value(&mut self, key: &str) -> Option<(&'n Node<'a>, Span)> {
        let f = self.entry(key)?;
        (!is_null(f.value)).then_some((f.value, f.key_span))
    }

    /// Every entry, for maps keyed by user-chosen names.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Field<'n, 'a>> {
        self.entries.iter()
    }

    /// Every entry as `(key, key span, value)`, for maps keyed by user-chosen names.
    pub(crate) fn entries(&self) -> Vec<(String, Span, &'n Node<'a>)> {
        self.all()
            .map(|e| (e.key.clone(), e.key_span, e.value))
            .collect()
    }

    /// True when the mapping has `key` (with any value).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|f| f.key == key)
    }
}

impl<'s> Reader<'s> {
    /// Turns an identifier check into a diagnostic at `span`.
    pub(crate) fn id<T>(
        &mut self,
        span: Span,
        checked: Result<T, InvalidId>,
        code: &'static str,
    ) -> Option<T> {
        match checked {
            Ok(v) => Some(v),
            Err(e) => {
                let hint = e.suggestion.as_ref().map(|s| format!("e.g. \"{s}\""));
                self.error(span, code, e.to_string(), hint);
                None
            }
        }
    }

    pub(crate) fn new(file: PathBuf, source: &'s str) -> Self {
        Self {
            file,
            source,
            lines: source.lines().collect(),
            diags: Vec::new(),
            node: None,
            base_dir: None,
            spans: Spans::default(),
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        span: Span,
        code: &'static str,
        message: String,
        hint: Option<String>,
    ) {
        let (mut line, mut column) = (span.start.line(), span.start.col() + 1);
        // The parser may place a problem past the last line (the end of input after a final
        // line break, or line breaks it counts differently in control characters): name the
        // end of the last line the file has instead.
        let (last, last_width) = last_line(self.source);
        if line > last {
            (line, column) = (last, last_width + 1);
        }
        let source_line = self
            .lines
            .get(line.wrapping_sub(1))
            .map(|l| l.trim_end_matches('\r').to_string());
        let width = if span.end.line() == line {
            span.end.col().saturating_sub(span.start.col()).max(1)
        } else {
            // A block value runs over several lines: underline the rest of the first line.
            source_line
                .as_deref()
                .map_or(1, |l| l.chars().count().saturating_sub(column - 1))
                .max(1)
        };
        self.diags.push(Diagnostic {
            severity,
            code,
            file: self.file.clone(),
            line,
            column,
            message,
            hint,
            node: self.node.clone(),
            source_line,
            width,
        });
    }

    pub(crate) fn error(
        &mut self,
        span: Span,
        code: &'static str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.push(Severity::Error, span, code, message.into(), hint);
    }

    pub(crate) fn warn(
        &mut self,
        span: Span,
        code: &'static str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.push(Severity::Warning, span, code, message.into(), hint);
    }

    /// The source text of a span (e.g. to show an unquoted number as written).
    pub(crate) fn text(&self, span: Span) -> String {
        let (start, end) = (span.start.index(), span.end.index());
        self.source
            .chars()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect::<String>()
            .trim()
            .to_string()
    }

    /// The entries of a mapping; an error (and `None`) when `node` is not one.
    pub(crate) fn fields<'n, 'a>(
        &mut self,
        node: &'n Node<'a>,
        what: &str,
        anchor: Span,
    ) -> Option<Fields<'n, 'a>> {
        let YamlData::Mapping(map) = &unwrap_tag(node).data else {
            self.error(
                node.span,
                "expected-mapping",
                format!(
                    "{what} must be a mapping (key: value lines), found {}",
                    kind(node)
                ),
                None,
            );
            return None;
        };
        let mut entries = Vec::with_capacity(map.len());
        for (k, v) in map {
            match scalar_key(k) {
                Some(key) => entries.push(Field {
                    key,
                    key_span: k.span,
                    value: v,
                }),
                None => self.error(
                    k.span,
                    "key-not-scalar",
                    format!("keys in {what} must be plain names, found {}", kind(k)),
                    None,
                ),
            }
        }
        let taken = vec![false; entries.len()];
        Some(Fields {
            entries,
            taken,
            anchor,
        })
    }

    /// Reports the entries nobody took: `x-*` keys go to `ext` (when given), others are
    /// errors with a did-you-mean, or kept with a warning under [`Unknown::KeepWithWarning`].
    pub(crate) fn finish(
        &mut self,
        fields: Fields<'_, '_>,
        known: &[&str],
        what: &str,
        mut ext: Option<&mut Extensions>,
        unknown: Unknown,
    ) {
        for (field, taken) in fields.entries.iter().zip(&fields.taken) {
            if *taken {
                continue;
            }
            let is_ext = field.key.starts_with("x-");
            if let (true, Some(ext)) = (is_ext, ext.as_deref_mut()) {
                if let Some(v) = self.json_value(field.value) {
                    ext.insert(field.key.clone(), v);
                }
                continue;
            }
            let suggestion = did_you_mean(&field.key, known);
            let base = suggestion.map_or_else(
                || format!("known keys here: {}", known.join(", ")),
                |k| format!("did you mean \"{k}\"?"),
            );
            match (unknown, ext.as_deref_mut()) {
                (Unknown::KeepWithWarning, Some(ext)) => {
                    self.warn(
                        field.key_span,
                        "unknown-key",
                        format!("unknown key \"{}\" in {what} (kept as an extension)", field.key),
                        Some(format!("{base}; prefix extension keys with x- to keep them without this warning")),
                    );
                    if let Some(v) = self.json_value(field.value) {
                        ext.insert(field.key.clone(), v);
                    }
                }
                (_, ext) => {
                    let hint = if ext.is_some() && suggestion.is_none() {
                        format!("{base}; keys starting with x- are kept for other tools")
                    } else {
                        base
                    };
                    self.error(
                        field.key_span,
                        "unknown-key",
                        format!("unknown key \"{}\" in {what}", field.key),
                        Some(hint),
                    );
                }
            }
        }
    }

    /// A required value: an error at the mapping's anchor when absent or null.
    pub(crate) fn required<'n, 'a>(
        &mut self,
        fields: &mut Fields<'n, 'a>,
        key: &str,
        what: &str,
        hint: Option<String>,
    ) -> Option<(&'n Node<'a>, Span)> {
        if let Some(v) = fields.value(key) {
            return Some(v);
        }
        let (span, message) = match fields.entry(key) {
            Some(f) => (f.key_span, format!("{what} has an empty \"{key}\"")),
            None => (fields.anchor, format!("{what} is missing \"{key}\"")),
        };
        self.error(span, "missing-key", message, hint);
        None
    }
}

/// Follows a tag (`!!str x`) to the tagged node.
pub(crate) fn unwrap_tag<'n, 'a>(node: &'n Node<'a>) -> &'n Node<'a> {
    match &node.data {
        YamlData::Tagged(_, inner) => unwrap_tag(inner),
        _ => node,
    }
}

/// True for `~`, `null` and an empty value.
pub(crate) fn is_null(node: &Node<'_>) -> bool {
    matches!(unwrap_tag(node).data, YamlData::Value(Scalar::Null))
}

/// What a node is, in words, for messages.
pub(crate) fn kind(node: &Node<'_>) -> &'static str {
    match &unwrap_tag(node).data {
        YamlData::Value(Scalar::Null) => "an empty value",
        YamlData::Value(Scalar::Boolean(_)) => "true/false",
        YamlData::Value(Scalar::Integer(_)) => "a whole number",
        YamlData::Value(Scalar::FloatingPoint(_)) => "a number",
        YamlData::Value(Scalar::String(_)) | YamlData::Representation(..) => "a string",
        YamlData::Sequence(_) => "a list",
        YamlData::Mapping(_) => "a mapping",
        _ => "an unreadable value",
    }
}

/// A mapping key as text: strings as is, numbers and booleans as written.
pub(crate) fn scalar_key(node: &Node<'_>) -> Option<String> {
    match &unwrap_tag(node).data {
        YamlData::Value(s) => Some(match s {
            Scalar::String(s) => s.to_string(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::FloatingPoint(f) => f.to_string(),
            Scalar::Boolean(b) => b.to_string(),
            Scalar::Null => "null".to_string(),
        }),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

/// The known key closest to `key`, when close enough to be a likely typo.
pub(crate) fn did_you_mean<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    let nk = norm(key);
    if let Some(k) = known.iter().find(|k| norm(k) == nk) {
        return Some(k);
    }
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&nk, &norm(k)), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let known = [
            "name",
            "version",
            "triggers",
            "nodes",
            "edges",
            "networkPolicy",
        ];
        assert_eq!(did_you_mean("trigers", &known), Some("triggers"));
        assert_eq!(did_you_mean("Name", &known), Some("name"));
        assert_eq!(
            did_you_mean("network_policy", &known),
            Some("networkPolicy")
        );
        assert_eq!(did_you_mean("verison", &known), Some("version"));
        assert_eq!(did_you_mean("zzzzzz", &known), None);
        assert_eq!(did_you_mean("ab", &known), None);
    }
}

/// The number of the last line of `source` that holds text, as YAML counts lines (`\r\n`,
/// a lone `\r` and `\n` each end one), and its width in characters. At least line 1.
pub(crate) fn last_line(source: &str) -> (usize, usize) {
    let body = source.trim_end_matches(['\r', '\n']).replace("\r\n", "\n");
    let line = body.matches(['\r', '\n']).count() + 1;
    let width = body
        .rsplit(['\r', '\n'])
        .next()
        .map_or(0, |l| l.chars().count());
    (line, width)
}

#[cfg(test)]
mod last_line_tests {
    use super::*;

    #[test]
    fn lines_count_as_yaml_counts_them() {
        // Found by the `spec_parse` fuzz target: a diagnostic on line 3 of "\x05-\r---".
        assert_eq!(last_line("\u{5}-\r---"), (2, 3));
        assert_eq!(last_line("a\r\nb\r\n\r\n"), (2, 1));
        assert_eq!(last_line("a: 1\n"), (1, 4));
        assert_eq!(last_line(""), (1, 0));
    }
}
