//! Module loading: TypeScript → JavaScript with oxc, and the node's import graph.
//!
//! A node is an ES module; it may import helper modules by relative path inside the workflow
//! directory. Each module is type-stripped on the host, its import specifiers are rewritten to
//! canonical names (workflow-relative paths such as `nodes/helper.ts`), and the whole graph is
//! handed to the guest at snapshot time. Anything that would leave the workflow directory, and
//! any bare or remote specifier (`npm:`, `jsr:`, `https:`), is a load error naming the file and
//! line: such nodes need `runtime: deno`.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Component, Path, PathBuf};

use oxc::allocator::Allocator;
use oxc::ast::ast::{Statement, StringLiteral};
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::str::Str;
use oxc::transformer::{TransformOptions, Transformer};

use crate::error::LoadError;

/// The canonical name of the module that holds the node's types; type-only imports of it are
/// erased, a value import is an error.
const TYPES_MODULE: &str = "tentacular";

/// One compiled module of a node's graph.
#[derive(Debug, Clone)]
pub(crate) struct CompiledModule {
    /// Canonical name: the path relative to the workflow directory, with `/` separators.
    pub name: String,
    /// The JavaScript the guest evaluates.
    pub js: String,
    /// Maps generated JS positions back to the original source.
    pub lines: LineMap,
}

/// A node's entry module plus every module it imports, entry first.
#[derive(Debug, Clone)]
pub(crate) struct ModuleGraph {
    /// Canonical name of the entry module.
    pub entry: String,
    /// All modules, entry first, then in discovery order.
    pub modules: Vec<CompiledModule>,
}

impl ModuleGraph {
    /// Loads `entry` (a path inside `workflow_dir`) and every module it imports.
    pub fn load(workflow_dir: &Path, entry: &Path) -> Result<Self, LoadError> {
        let root = workflow_dir
            .canonicalize()
            .map_err(|source| LoadError::Read {
                path: workflow_dir.to_path_buf(),
                source,
            })?;
        let entry_abs = if entry.is_absolute() {
            entry.to_path_buf()
        } else {
            root.join(entry)
        };
        let entry_abs = entry_abs.canonicalize().map_err(|source| LoadError::Read {
            path: entry_abs.clone(),
            source,
        })?;
        let entry_name =
            canonical_name(&root, &entry_abs).ok_or_else(|| LoadError::ImportOutsideWorkflow {
                file: entry.display().to_string(),
                line: 0,
                specifier: entry.display().to_string(),
            })?;
        if let Err(reason) = source_module(&entry_name) {
            return Err(LoadError::NotASourceModule {
                file: entry_name,
                line: 0,
                specifier: entry.display().to_string(),
                reason,
            });
        }

        let mut modules = Vec::new();
        let mut seen = BTreeMap::new();
        let mut queue = VecDeque::from([(entry_abs, entry_name.clone())]);
        seen.insert(entry_name.clone(), ());
        while let Some((path, name)) = queue.pop_front() {
            let source = std::fs::read_to_string(&path).map_err(|source| LoadError::Read {
                path: path.clone(),
                source,
            })?;
            // oxc is robust, but a panic on odd input must become a load error, never take the
            // engine down.
            let (module, imports) =
                std::panic::catch_unwind(|| transpile(&root, &path, &name, &source))
                    .unwrap_or_else(|_| {
                        Err(LoadError::Syntax {
                            file: name.clone(),
                            line: 1,
                            col: 1,
                            message: "the TypeScript transformer failed on this file".into(),
                        })
                    })?;
            modules.push(module);
            for (abs, canonical) in imports {
                if seen.insert(canonical.clone(), ()).is_none() {
                    queue.push_back((abs, canonical));
                }
            }
        }
        Ok(ModuleGraph {
            entry: entry_name,
            modules,
        })
    }

    /// Rewrites `name:line:col` positions of generated JS in a QuickJS stack trace to positions
    /// in the original `.ts` files.
    pub fn map_stack(&self, stack: &str) -> String {
        let mut out = String::with_capacity(stack.len());
        for (i, line) in stack.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.map_line(line));
        }
        out
    }

    fn map_line(&self, line: &str) -> String {
        for module in &self.modules {
            let needle = format!("{}:", module.name);
            let Some(at) = line.find(&needle) else {
                continue;
            };
            let rest = &line[at + needle.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let Ok(js_line) = digits.parse::<u32>() else {
                continue;
            };
            let after = &rest[digits.len()..];
            let (js_col, tail) = match after.strip_prefix(':') {
                Some(c) => {
                    let d: String = c.chars().take_while(char::is_ascii_digit).collect();
                    (d.parse::<u32>().unwrap_or(1), &c[d.len()..])
                }
                None => (1, after),
            };
            let (src_line, src_col) = module.lines.lookup(js_line, js_col);
            return format!("{}{}{}:{}{}", &line[..at], needle, src_line, src_col, tail);
        }
        line.to_string()
    }
}

/// Generated-position → original-position table (1-based lines and columns).
#[derive(Debug, Clone, Default)]
pub(crate) struct LineMap {
    /// For each generated line (0-based index), `(dst_col, src_line, src_col)` sorted by column.
    lines: Vec<Vec<(u32, u32, u32)>>,
}

impl LineMap {
    /// The original (line, column) for a generated 1-based (line, column).
    pub fn lookup(&self, line: u32, col: u32) -> (u32, u32) {
        let Some(tokens) = line.checked_sub(1).and_then(|l| self.lines.get(l as usize)) else {
            return (line, col);
        };
        let col0 = col.saturating_sub(1);
        let idx = tokens.partition_point(|t| t.0 <= col0);
        match tokens.get(idx.saturating_sub(1)) {
            Some(&(_, l, c)) => (l + 1, c + 1),
            None => (line, col),
        }
    }
}

/// Type-strips one module and returns it with the modules it imports (absolute path,
/// canonical name).
fn transpile(
    root: &Path,
    path: &Path,
    name: &str,
    source: &str,
) -> Result<(CompiledModule, Vec<(PathBuf, String)>), LoadError> {
    let allocator = Allocator::default();
    let source_type = SourceType::from_path(path)
        .unwrap_or_else(|_| SourceType::ts())
        .with_module(true);
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(diag) = parsed.diagnostics.errors().next() {
        return Err(syntax_error(name, source, diag));
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .with_enum_eval(true)
        .build(&program)
        .semantic
        .into_scoping();
    let options = TransformOptions::default();
    let transformed = Transformer::new(&allocator, Path::new(name), &options)
        .build_with_scoping(scoping, &mut program);
    if let Some(diag) = transformed.diagnostics.first() {
        return Err(syntax_error(name, source, diag));
    }

    let mut imports = Vec::new();
    let importer_dir = path.parent().unwrap_or(root).to_path_buf();
    for stmt in program.body.iter_mut() {
        let literal: Option<&mut StringLiteral> = match stmt {
            Statement::ImportDeclaration(d) => Some(&mut d.source),
            Statement::ExportAllDeclaration(d) => Some(&mut d.source),
            Statement::ExportFromDeclaration(d) => Some(&mut d.source),
            _ => None,
        };
        let Some(literal) = literal else { continue };
        let specifier = literal.value.to_string();
        let (line, _) = line_col(source, literal.span.start as usize);
        let (abs, canonical) = resolve(root, &importer_dir, name, line, &specifier)?;
        literal.value = Str::from(allocator.alloc_str(&canonical));
        literal.raw = None;
        imports.push((abs, canonical));
    }

    let generated = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(PathBuf::from(name)),
            ..CodegenOptions::default()
        })
        .build(&program);
    let mut lines = LineMap::default();
    if let Some(map) = &generated.map {
        for token in map.get_tokens() {
            let l = token.get_dst_line() as usize;
            if lines.lines.len() <= l {
                lines.lines.resize(l + 1, Vec::new());
            }
            lines.lines[l].push((
                token.get_dst_col(),
                token.get_src_line(),
                token.get_src_col(),
            ));
        }
        for l in &mut lines.lines {
            l.sort_unstable();
        }
    }
    Ok((
        CompiledModule {
            name: name.to_string(),
            js: generated.code,
            lines,
        },
        imports,
    ))
}

/// A parser or transformer diagnostic as a load error at its first label.
fn syntax_error(name: &str, source: &str, diag: &oxc::diagnostics::OxcDiagnostic) -> LoadError {
    let offset = diag.labels.first().map_or(0, |l| l.offset() as usize);
    let (line, col) = line_col(source, offset);
    LoadError::Syntax {
        file: name.to_string(),
        line,
        col,
        message: diag.message.to_string(),
    }
}

/// Resolves one import specifier of `importer` to (absolute path, canonical name).
fn resolve(
    root: &Path,
    importer_dir: &Path,
    importer: &str,
    line: u32,
    specifier: &str,
) -> Result<(PathBuf, String), LoadError> {
    let unsupported = |hint: &str| LoadError::UnsupportedImport {
        file: importer.to_string(),
        line,
        specifier: specifier.to_string(),
        hint: hint.to_string(),
    };
    if specifier == TYPES_MODULE {
        return Err(unsupported(
            "the \"tentacular\" module only provides types: write `import type { Context } from \"tentacular\"`",
        ));
    }
    if !(specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/'))
    {
        return Err(unsupported(
            "the sandbox serves only relative imports inside the workflow directory; for npm:, jsr: or remote modules set `runtime: deno` on this node in workflow.yaml",
        ));
    }
    let base = if specifier.starts_with('/') {
        root.join(specifier.trim_start_matches('/'))
    } else {
        importer_dir.join(specifier)
    };
    let base = lexical_normalize(&base);
    let outside = || LoadError::ImportOutsideWorkflow {
        file: importer.to_string(),
        line,
        specifier: specifier.to_string(),
    };
    if !base.starts_with(root) {
        return Err(outside());
    }
    let candidates = [
        base.clone(),
        base.with_extension("ts"),
        base.with_extension("js"),
        base.join("index.ts"),
        base.join("index.js"),
    ];
    for candidate in candidates {
        if candidate.is_file() {
            let real = candidate.canonicalize().map_err(|source| LoadError::Read {
                path: candidate.clone(),
                source,
            })?;
            // A symlink inside the workflow that points outside it is still outside.
            let name = canonical_name(root, &real).ok_or_else(outside)?;
            source_module(&name).map_err(|reason| LoadError::NotASourceModule {
                file: importer.to_string(),
                line,
                specifier: specifier.to_string(),
                reason,
            })?;
            return Ok((real, name));
        }
    }
    Err(LoadError::ImportNotFound {
        file: importer.to_string(),
        line,
        specifier: specifier.to_string(),
    })
}

/// File extensions of modules a node may load.
pub(crate) const SOURCE_EXTENSIONS: &[&str] = &["ts", "mts", "js", "mjs"];

/// Whether the workflow-relative `name` may be loaded as a module: a source file
/// ([`SOURCE_EXTENSIONS`]) with no dot-file or dot-directory in its path — so `.secrets.yaml`,
/// `.secrets/…`, `.env` or `.tentacular/…` never are, whatever they contain.
pub(crate) fn source_module(name: &str) -> Result<(), &'static str> {
    if name
        .split('/')
        .any(|part| part.starts_with('.') && part != "." && part != "..")
    {
        return Err(
            "dot-files and dot-directories (where secrets and local state live) are never modules",
        );
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if !SOURCE_EXTENSIONS.contains(&ext) {
        return Err("only .ts, .mts, .js and .mjs files are modules");
    }
    Ok(())
}

/// The workflow-relative name of `path`, or `None` when it lies outside `root`.
fn canonical_name(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// Removes `.` and `..` components without touching the file system.
fn lexical_normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) as u32 + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, body) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        dir
    }

    #[test]
    fn strips_types_enums_and_type_imports() {
        let dir = workflow(&[(
            "nodes/a.ts",
            "import type { Context } from \"tentacular\";\ninterface X { a: number }\nenum Color { Red, Green }\nconst v = { a: 1 } satisfies X;\nexport default async function run(ctx: Context, input: unknown): Promise<unknown> { return { c: Color.Green, v }; }\n",
        )]);
        let graph = ModuleGraph::load(dir.path(), Path::new("nodes/a.ts")).unwrap();
        assert_eq!(graph.entry, "nodes/a.ts");
        let js = &graph.modules[0].js;
        assert!(!js.contains("interface"), "{js}");
        assert!(!js.contains("tentacular"), "{js}");
        assert!(js.contains("Color"), "{js}");
    }

    #[test]
    fn resolves_relative_helpers_to_canonical_names() {
        let dir = workflow(&[
            (
                "nodes/a.ts",
                "import { h } from \"./lib/helper.ts\";\nimport { g } from \"./lib/other\";\nexport default () => h() + g();\n",
            ),
            ("nodes/lib/helper.ts", "export const h = (): number => 1;\n"),
            (
                "nodes/lib/other.ts",
                "export { h as g } from \"./helper.ts\";\n",
            ),
        ]);
        let graph = ModuleGraph::load(dir.path(), Path::new("nodes/a.ts")).unwrap();
        let names: Vec<_> = graph.modules.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["nodes/a.ts", "nodes/lib/helper.ts", "nodes/lib/other.ts"]
        );
        assert!(graph.modules[0].js.contains("\"nodes/lib/helper.ts\""));
    }

    #[test]
    fn rejects_escapes_and_remote_specifiers_with_file_and_line() {
        let dir = workflow(&[
            (
                "wf/nodes/a.ts",
                "\nimport x from \"../../secret.ts\";\nexport default () => x;\n",
            ),
            ("secret.ts", "export default 1;"),
        ]);
        let err = ModuleGraph::load(&dir.path().join("wf"), Path::new("nodes/a.ts")).unwrap_err();
        assert!(
            matches!(err, LoadError::ImportOutsideWorkflow { line: 2, .. }),
            "{err}"
        );

        for spec in [
            "npm:lodash",
            "jsr:@std/path",
            "https://deno.land/x/mod.ts",
            "lodash",
        ] {
            let dir = workflow(&[(
                "nodes/a.ts",
                &format!("import x from \"{spec}\";\nexport default () => x;\n"),
            )]);
            let err = ModuleGraph::load(dir.path(), Path::new("nodes/a.ts")).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("nodes/a.ts:1") && text.contains("runtime: deno"),
                "{text}"
            );
        }
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let dir = workflow(&[(
            "nodes/a.ts",
            "export default async function run() {\n  return {;\n}\n",
        )]);
        let err = ModuleGraph::load(dir.path(), Path::new("nodes/a.ts")).unwrap_err();
        match err {
            LoadError::Syntax { file, line, .. } => {
                assert_eq!(file, "nodes/a.ts");
                assert_eq!(line, 2);
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn maps_stack_positions_back_to_typescript_lines() {
        let dir = workflow(&[(
            "nodes/a.ts",
            "interface A {\n  x: number;\n}\ntype B = A;\nexport default function run(): B {\n  throw new Error(\"boom\");\n}\n",
        )]);
        let graph = ModuleGraph::load(dir.path(), Path::new("nodes/a.ts")).unwrap();
        let js_line = graph.modules[0]
            .js
            .lines()
            .position(|l| l.contains("throw"))
            .unwrap() as u32
            + 1;
        let mapped = graph.map_stack(&format!("    at run (nodes/a.ts:{js_line}:2)"));
        assert!(mapped.contains("nodes/a.ts:6:"), "{mapped}");
    }
}
