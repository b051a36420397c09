//! Lowering `nodes`: ids, paths (checked on disk when loading), runtime, uses, limits.

use indexmap::IndexMap;
use saphyr::{Scalar, YamlData};
use saphyr_parser::Span;

use crate::ids::{DependencyName, NodeId};
use crate::model::{NodeLimits, NodeSpec};
use crate::values::{DurationText, Extensions, MemorySize, Runtime};
use crate::yaml::{Node, Reader, Unknown, did_you_mean, is_null, unwrap_tag};

const NODE_KEYS: [&str; 6] = [
    "path",
    "description",
    "capabilities",
    "runtime",
    "uses",
    "limits",
];

/// The nodes that parsed, and whether all did; `None` when `nodes` is not a non-empty mapping.
/// Every node id that is valid is recorded in `r.spans.nodes`, even when its entry is not, so
/// that edges to it are not reported as unknown.
pub(crate) fn nodes(
    r: &mut Reader<'_>,
    v: &Node<'_>,
    key: Span,
) -> Option<(IndexMap<NodeId, NodeSpec>, bool)> {
    let f = r.fields(v, "nodes", key)?;
    let mut out = IndexMap::new();
    let mut ok = true;
    let entries: Vec<_> = f.entries();
    if entries.is_empty() {
        r.error(
            key,
            "no-nodes",
            "the workflow needs at least one node",
            Some("e.g. nodes: {hello: {path: ./nodes/hello.ts, description: Says hello}}".into()),
        );
        return None;
    }
    for (name, key_span, value) in entries {
        let Some(id) = r.id(key_span, NodeId::new(name), "node-id") else {
            ok = false;
            continue;
        };
        r.node = Some(id.clone());
        r.spans.nodes.insert(id.clone(), key_span);
        match node(r, value, key_span, &id) {
            Some(spec) => {
                out.insert(id, spec);
            }
            None => ok = false,
        }
        r.node = None;
    }
    Some((out, ok))
}

fn node(r: &mut Reader<'_>, v: &Node<'_>, key: Span, node_id: &NodeId) -> Option<NodeSpec> {
    let id_ = node_id;
    let what = format!("node \"{id_}\"");
    if is_null(v) {
        r.error(
            key,
            "missing-key",
            format!("{what} is missing \"path\""),
            Some(format!("e.g. path: ./nodes/{id_}.ts")),
        );
        return None;
    }
    let mut f = r.fields(v, &what, key)?;
    let path = r
        .required(
            &mut f,
            "path",
            &what,
            Some(format!("e.g. path: ./nodes/{id_}.ts")),
        )
        .and_then(|(p, _)| {
            let s = r.string(p, "path")?;
            r.spans.paths.insert(id_.clone(), p.span);
            node_path(r, &s, p.span).then_some(s)
        });
    let description = match f.value("description") {
        Some((d, _)) => r.string(d, "description"),
        None => {
            r.warn(
                key,
                "node-description",
                format!("{what} has no description"),
                Some("add description: <what it does>; people and agents read it".into()),
            );
            None
        }
    };
    let mut ok = true;
    let mut capabilities = IndexMap::new();
    if let Some((c, ckey)) = f.value("capabilities")
        && let Some(cf) = r.fields(c, "capabilities", ckey)
    {
        for (k, _, val) in cf.entries() {
            match r.scalar_text(val, "a capability") {
                Some(s) => {
                    capabilities.insert(k, s);
                }
                None => ok = false,
            }
        }
    }
    let runtime = match f.value("runtime") {
        Some((rt, _)) => {
            let parsed = runtime(r, rt);
            ok &= parsed.is_some();
            parsed
        }
        None => None,
    };
    let uses = match f.value("uses") {
        Some((u, _)) => match r.string_list(u, "uses") {
            Some(list) => {
                let mut names = Vec::new();
                r.spans
                    .uses
                    .insert(id_.clone(), list.iter().map(|(_, s)| *s).collect());
                for (s, span) in list {
                    match r.id(span, DependencyName::new(s), "dependency-name") {
                        Some(n) if names.contains(&n) => {
                            r.warn(
                                span,
                                "duplicate-use",
                                format!("\"{n}\" is listed twice in uses"),
                                None,
                            );
                        }
                        Some(n) => names.push(n),
                        None => ok = false,
                    }
                }
                Some(names)
            }
            None => {
                ok = false;
                None
            }
        },
        // `uses: []` and `uses:` (null) both mean "nothing".
        None if f.has("uses") => Some(Vec::new()),
        None => None,
    };
    let limits = match f.value("limits") {
        Some((l, lkey)) => {
            let parsed = limits(r, l, lkey, &what);
            ok &= parsed.is_some();
            parsed.unwrap_or_default()
        }
        None => NodeLimits::default(),
    };
    let mut extensions = Extensions::new();
    r.finish(f, &NODE_KEYS, &what, Some(&mut extensions), Unknown::Reject);
    let path = path?;
    ok.then_some(NodeSpec {
        path,
        description,
        capabilities,
        runtime,
        uses,
        limits,
        extensions,
    })
}

/// Lexical checks on a node path; the loader checks the file itself.
fn node_path(r: &mut Reader<'_>, path: &str, span: Span) -> bool {
    use std::path::{Component, Path};
    let p = Path::new(path);
    if path.trim().is_empty() {
        r.error(
            span,
            "node-path",
            "node path is empty",
            Some("e.g. ./nodes/hello.ts".into()),
        );
        return false;
    }
    if p.is_absolute() || path.contains("://") {
        r.error(
            span,
            "node-path-outside",
            format!("node path \"{path}\" must be relative to the workflow directory"),
            Some("e.g. ./nodes/hello.ts".into()),
        );
        return false;
    }
    let mut depth: i32 = 0;
    for c in p.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            r.error(
                span,
                "node-path-outside",
                format!("node path \"{path}\" leaves the workflow directory"),
                Some("node files must live inside the workflow directory, e.g. ./nodes/".into()),
            );
            return false;
        }
    }
    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "ts" | "js" | "mts" | "mjs") {
        r.warn(
            span,
            "node-path-extension",
            format!("node path \"{path}\" is not a .ts or .js file"),
            None,
        );
    }
    match r.base_dir.clone() {
        Some(base) => node_file(r, &base, path, span),
        None => true,
    }
}

/// Checks that a node's file exists, is a file, and (symlinks followed) stays inside the
/// workflow directory.
fn node_file(r: &mut Reader<'_>, base: &std::path::Path, path: &str, span: Span) -> bool {
    let node = r
        .node
        .as_ref()
        .map_or_else(String::new, |n| format!("node \"{n}\": "));
    let full = base.join(path);
    match std::fs::metadata(&full) {
        Err(_) => {
            let hint = nearby_file(base, path).map_or_else(
                || "create the file, or correct path".to_string(),
                |f| format!("did you mean \"{f}\"?"),
            );
            r.error(
                span,
                "node-file-missing",
                format!("{node}file \"{path}\" does not exist"),
                Some(hint),
            );
            false
        }
        Ok(m) if !m.is_file() => {
            r.error(
                span,
                "node-file-missing",
                format!("{node}\"{path}\" is not a file"),
                None,
            );
            false
        }
        Ok(_) => match (base.canonicalize(), full.canonicalize()) {
            (Ok(b), Ok(f)) if !f.starts_with(&b) => {
                r.error(
                    span,
                    "node-path-outside",
                    format!("{node}\"{path}\" resolves outside the workflow directory (through a symlink)"),
                    Some("copy the file into the workflow directory".into()),
                );
                false
            }
            _ => true,
        },
    }
}

/// `path` with its file name replaced by a similar file that exists next to it.
fn nearby_file(base: &std::path::Path, path: &str) -> Option<String> {
    let full = base.join(path);
    let dir = full.parent()?;
    let name = full.file_name()?.to_str()?;
    let names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let found = did_you_mean(name, &refs)?;
    let parent = std::path::Path::new(path)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(if parent.is_empty() {
        found.to_string()
    } else {
        format!("{parent}/{found}")
    })
}

pub(crate) fn runtime(r: &mut Reader<'_>, v: &Node<'_>) -> Option<Runtime> {
    let s = r.string(v, "runtime")?;
    match s.as_str() {
        "wasm" => Some(Runtime::Wasm),
        "deno" => Some(Runtime::Deno),
        other => {
            r.error(
                v.span,
                "runtime",
                format!("unknown runtime \"{other}\""),
                Some("one of: wasm (the sandbox, the default), deno (compatibility mode)".into()),
            );
            None
        }
    }
}

fn limits(r: &mut Reader<'_>, v: &Node<'_>, key: Span, node: &str) -> Option<NodeLimits> {
    let what = format!("the limits of {node}");
    let mut f = r.fields(v, &what, key)?;
    let mut ok = true;
    let memory = f.value("memory").and_then(|(m, _)| {
        let parsed = r
            .scalar_text(m, "memory")
            .and_then(|s| match MemorySize::parse(&s) {
                Ok(m) => Some(m),
                Err(e) => {
                    r.error(m.span, "memory-size", e, Some("e.g. memory: 64Mi".into()));
                    None
                }
            });
        ok &= parsed.is_some();
        parsed
    });
    let timeout = f.value("timeout").and_then(|(t, _)| {
        let d = duration(r, t, "timeout");
        ok &= d.is_some();
        d
    });
    let max_in_flight = f.value("maxInFlight").and_then(|(n, _)| {
        let parsed = r
            .integer(
                n,
                "maxInFlight",
                1,
                i64::from(NodeLimits::MAX_MAX_IN_FLIGHT),
            )
            .and_then(|n| u32::try_from(n).ok());
        ok &= parsed.is_some();
        parsed
    });
    r.finish(
        f,
        &["memory", "timeout", "maxInFlight"],
        &what,
        None,
        Unknown::Reject,
    );
    ok.then_some(NodeLimits {
        memory,
        timeout,
        max_in_flight,
    })
}

/// A duration such as `30s`; a bare number is an error that suggests the unit.
pub(crate) fn duration(r: &mut Reader<'_>, v: &Node<'_>, what: &str) -> Option<DurationText> {
    if let YamlData::Value(Scalar::Integer(n)) = &unwrap_tag(v).data {
        r.error(
            v.span,
            "duration",
            format!("{what} {n} has no unit"),
            Some(format!("write {what}: {n}s (units: ms, s, m, h)")),
        );
        return None;
    }
    let s = r.string(v, what)?;
    match DurationText::parse(&s) {
        Ok(d) => Some(d),
        Err(e) => {
            r.error(
                v.span,
                "duration",
                e,
                Some("e.g. \"30s\", \"5m\" or \"500ms\"".into()),
            );
            None
        }
    }
}
