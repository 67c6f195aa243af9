//! Layers: a module imports only from its own layer or the layers below it (ARCHITECTURE.md,
//! "Layers"). This test reads every `src/**/*.rs` file, finds each path into the crate
//! (`use crate::...`, `crate::x::` in code, `super::` that climbs to the crate root) outside
//! comments, strings and test code, and fails on one that points up a layer, naming the file,
//! the line and both layers. It also fails on a module the table does not place, and on a
//! cycle between top-level modules of one layer.
//!
//! Test code (`#[cfg(test)]` items and the files of `#[cfg(test)] mod x;`) is not checked: a
//! test of a low module may drive the whole pipeline.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may import from its layer and every layer below.
/// Modules that do not exist yet are placed too, so that new code has its place.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "L0",
        &["source", "source_map", "diagnostic", "findings", "atomic"],
    ),
    ("L1", &["yaml"]),
    // `k8s`: Kubernetes semantics shared by rules and coverage (host paths, names, quantities,
    // tolerations, rollout amounts, scheduling, PSS, versions).
    ("L2", &["manifest", "k8s"]),
    // `registry`: rule metadata, the engine-level rules, docs URLs. `settings`: the resolved
    // settings (selection, rule options, `FailOn`, `OutputFormat`, limits, scopes).
    ("L3", &["registry", "settings"]),
    ("L4", &["rules", "schema", "policy", "suppress", "cross"]),
    (
        "L5",
        &[
            "engine",
            "remap",
            "outcome",
            "input",
            "render",
            "fix",
            "stream",
            "discover",
            "suppress_stage",
        ],
    ),
    // `config`: configuration files, their validation, the resolver.
    ("L6", &["session", "config"]),
    (
        "L7",
        &["report", "lsp", "coverage", "inventory", "rules_docs"],
    ),
    // `lib` declares every module and re-exports the public API (`Linter`, `Inputs`, ...).
    ("L8", &["cli", "main", "lib"]),
];

/// Imports allowed to point up: (importing module, imported module), each with its reason.
/// None today (the last two, settings and cross into the suppression stage, went when the
/// run's suppression tally moved to the `Linter`). An entry no import needs any more fails
/// the test, so the list only shrinks.
const ALLOWED: &[(&str, &str)] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text of a Rust file with comments and the insides of string and character literals
/// replaced by spaces (newlines kept, so byte offsets and line numbers stay the same).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let prev_ident = i > 0 && ident(b[i - 1]);
        if b[i..].starts_with(b"//") {
            let end = b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let (mut depth, mut j) = (1, i + 2);
            while j < b.len() && depth > 0 {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if !prev_ident
            && (b[i..].starts_with(b"r#")
                || b[i..].starts_with(b"r\"")
                || b[i..].starts_with(b"br"))
            && {
                let start = if b[i] == b'b' { i + 2 } else { i + 1 };
                let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
                b.get(start + hashes) == Some(&b'"')
            }
        {
            let start = if b[i] == b'b' { i + 2 } else { i + 1 };
            let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let body = start + hashes + 1;
            let end = b[body..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(b.len(), |p| body + p + close.len());
            blank(&mut out, body, end.saturating_sub(close.len()).max(body));
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i + 1, j.min(b.len()));
            i = j + 1;
        } else if b[i] == b'\''
            && (!prev_ident || (b[i - 1] == b'b' && (i < 2 || !ident(b[i - 2]))))
        {
            // (`b'x'` is a byte literal, `x'` after an identifier is not a literal.)
            // A character literal ('a', '\n', '\u{1F600}', 'é') or a lifetime ('a, 'static).
            let rest = &text[i + 1..];
            let mut chars = rest.char_indices();
            match chars.next() {
                Some((_, '\\')) => {
                    // The escaped character may be a quote: look after it.
                    let end = rest
                        .get(2..)
                        .and_then(|r| r.find('\''))
                        .map_or(b.len(), |p| i + 3 + p + 1);
                    blank(&mut out, i + 1, end - 1);
                    i = end;
                }
                Some((_, c)) if rest[c.len_utf8()..].starts_with('\'') => {
                    blank(&mut out, i + 1, i + 1 + c.len_utf8());
                    i += c.len_utf8() + 2;
                }
                _ => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII bytes were replaced, and only whole characters")
}

/// The byte ranges of `#[cfg(test)]` items in `code` (from [`code_only`] over `text`), and the
/// files of the out-of-line modules among them (`#[cfg(test)] mod tests;` is `tests`,
/// `#[cfg(test)] #[path = "x.rs"] mod tests;` is `x.rs`).
fn test_items(text: &str, code: &str) -> (Vec<(usize, usize)>, Vec<String>) {
    let b = code.as_bytes();
    let (mut ranges, mut modules) = (Vec::new(), Vec::new());
    let mut from = 0;
    while let Some(p) = code[from..].find("#[cfg(test)]") {
        let start = from + p;
        let mut i = start + "#[cfg(test)]".len();
        // Further attributes, then the item.
        let mut path = None;
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b[i..].starts_with(b"#[") {
                let end = code[i..].find(']').map_or(b.len(), |p| i + p + 1);
                let attribute = &text[i..end];
                if attribute.starts_with("#[path") {
                    path = attribute.split('"').nth(1).map(str::to_string);
                }
                i = end;
            } else {
                break;
            }
        }
        let item = &code[i..];
        let words: Vec<&str> = item
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .take(3)
            .collect();
        let mut depth = 0usize;
        let mut j = i;
        while j < b.len() {
            match b[j] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let is_decl = code[i..j].trim_end().ends_with(';') && !code[i..j].contains('{');
        if let Some(at) = words.iter().position(|w| *w == "mod") {
            if is_decl {
                if let Some(name) = path.or_else(|| words.get(at + 1).map(|w| (*w).to_string())) {
                    modules.push(name);
                }
            }
        }
        ranges.push((start, j));
        from = j.max(start + 1);
    }
    (ranges, modules)
}

/// One path into the crate found in a file.
struct Import {
    line: usize,
    /// The first segment after `crate::`: a top-level module, or an item of `lib.rs`.
    first: String,
}

/// The first segments of the paths `crate::...` (with `{a, b::c}` groups) and of `super::`
/// chains that climb `depth` modules to the crate root, outside `skip`.
fn imports(code: &str, depth: usize, skip: &[(usize, usize)]) -> Vec<Import> {
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if i > 0 && ident(b[i - 1]) || !ident(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut rest = None;
        if code[i..].starts_with("crate::") {
            rest = Some(i + "crate::".len());
        } else if depth > 0 && code[i..].starts_with("super::") {
            let mut j = i;
            let mut climbed = 0;
            while code[j..].starts_with("super::") {
                j += "super::".len();
                climbed += 1;
            }
            if climbed >= depth {
                rest = Some(j);
            }
            i = j;
        }
        let Some(at) = rest else {
            while i < b.len() && ident(b[i]) {
                i += 1;
            }
            continue;
        };
        if skip.iter().any(|&(s, e)| s <= start && start < e) {
            i = at;
            continue;
        }
        let rest = code[at..].trim_start();
        let at = code.len() - rest.len();
        let mut names = Vec::new();
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut part) = (0usize, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(std::mem::take(&mut part));
                        continue;
                    }
                    _ => {}
                }
                part.push(c);
            }
            names.push(part);
        } else {
            names.push(rest.to_string());
        }
        for name in names {
            let first: String = name
                .trim_start()
                .chars()
                .take_while(|&c| c.is_alphanumeric() || c == '_')
                .collect();
            if !first.is_empty() && first != "self" {
                found.push(Import {
                    line: line_at(start),
                    first,
                });
            }
        }
        i = at;
    }
    found
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// One import between two top-level modules: where it is and what it names.
struct Edge {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// Every import between two top-level modules in `src/`, outside test code.
fn edges() -> Vec<Edge> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let top: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(&src, f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    // Out-of-line test modules: their files (and directories) are test code.
    let mut test_paths = Vec::new();
    let mut parsed = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let code = code_only(&text);
        let (ranges, modules) = test_items(&text, &code);
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let dir = if matches!(stem, "mod" | "lib" | "main") {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        for m in modules {
            if m.ends_with(".rs") {
                // `#[path]` is relative to the directory of the declaring file.
                test_paths.push(file.parent().unwrap().join(m));
            } else {
                test_paths.push(dir.join(format!("{m}.rs")));
                test_paths.push(dir.join(m));
            }
        }
        parsed.push((file, code, ranges));
    }
    let mut edges = Vec::new();
    for (file, code, ranges) in parsed {
        if test_paths.iter().any(|t| file.starts_with(t)) {
            continue;
        }
        let from = top_module(&src, file);
        let rel = file.strip_prefix(&src).unwrap();
        // How many `super::` reach the crate root from this file.
        let depth = if matches!(from.as_str(), "lib" | "main") {
            0
        } else {
            let parts = rel.components().count();
            if rel.file_name().is_some_and(|n| n == "mod.rs") {
                parts - 1
            } else {
                parts
            }
        };
        for import in imports(&code, depth, &ranges) {
            let to = if top.contains(&import.first) {
                import.first
            } else {
                // An item of the crate root, e.g. `crate::FileReport`.
                "lib".to_string()
            };
            if to != from {
                edges.push(Edge {
                    file: format!("src/{}", rel.display()).replace('\\', "/"),
                    line: import.line,
                    from: from.clone(),
                    to,
                });
            }
        }
    }
    edges
}

/// `src/yaml/fast.rs` → `yaml`, `src/cli.rs` → `cli`, `src/lib.rs` → `lib`.
fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.strip_suffix(".rs").unwrap_or(first).to_string()
}

#[test]
fn every_module_has_a_layer() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let unplaced: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(&src, f))
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules without a layer: {unplaced:?}; place each in LAYERS (tests/it/layers.rs) \
         and in ARCHITECTURE.md's layer picture"
    );
    let mut seen = BTreeSet::new();
    for (_, modules) in LAYERS {
        for m in *modules {
            assert!(seen.insert(*m), "{m} is in two layers");
        }
    }
}

#[test]
fn imports_only_point_down() {
    let edges = edges();
    let mut used = vec![false; ALLOWED.len()];
    let mut upward = Vec::new();
    for e in &edges {
        let (Some(from), Some(to)) = (layer_of(&e.from), layer_of(&e.to)) else {
            continue; // every_module_has_a_layer names it
        };
        if to <= from {
            continue;
        }
        if let Some(k) = ALLOWED
            .iter()
            .position(|&(from, to)| from == e.from && to == e.to)
        {
            used[k] = true;
            continue;
        }
        upward.push(format!(
            "{}:{}: {} ({}) imports {} ({})",
            e.file, e.line, e.from, LAYERS[from].0, e.to, LAYERS[to].0
        ));
    }
    assert!(
        upward.is_empty(),
        "imports that point up a layer (move the type down, or the code up):\n{}",
        upward.join("\n")
    );
    let stale: Vec<_> = ALLOWED
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|((from, to), _)| format!("{from} → {to}"))
        .collect();
    assert!(
        stale.is_empty(),
        "allowed upward imports that no longer exist: remove them from ALLOWED: {stale:?}"
    );
}

#[test]
fn modules_of_one_layer_form_no_cycle() {
    let edges = edges();
    let mut graph: BTreeMap<&str, BTreeMap<&str, &Edge>> = BTreeMap::new();
    for e in &edges {
        if layer_of(&e.from).is_some() && layer_of(&e.from) == layer_of(&e.to) {
            graph.entry(&e.from).or_default().entry(&e.to).or_insert(e);
        }
    }
    // A cycle exists if some module reaches itself.
    for &start in graph.keys() {
        let mut stack = vec![(start, vec![start])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for (&next, _) in graph.get(at).into_iter().flatten() {
                if next == start {
                    let mut shown = Vec::new();
                    let mut cycle = path.clone();
                    cycle.push(start);
                    for w in cycle.windows(2) {
                        let e = graph[w[0]][w[1]];
                        shown.push(format!("{} → {} ({}:{})", e.from, e.to, e.file, e.line));
                    }
                    panic!(
                        "modules of one layer import each other: {}",
                        shown.join(", ")
                    );
                }
                if seen.insert(next) {
                    let mut p = path.clone();
                    p.push(next);
                    stack.push((next, p));
                }
            }
        }
    }
}

/// The reader above must see what it claims to see; a reader that finds nothing would pass.
#[test]
fn the_reader_finds_paths_and_skips_comments_strings_and_tests() {
    let text = "use crate::a::B;\n\
                use crate::{b, c::{D, E}, self};\n\
                // use crate::comment;\n\
                /* crate::block /* nested */ crate::still */\n\
                const S: &str = \"crate::string\";\n\
                const R: &str = r#\"crate::raw \"# ;\n\
                fn f<'x>(c: char) -> bool { c == '\"' && c != '\\'' && b'\"' == 0 && crate::d::g() }\n\
                fn h() { super::super::e(); super::not_root(); }\n\
                #[cfg(test)]\n\
                mod tests { use crate::tested; }\n\
                #[cfg(test)]\n\
                mod more_tests;\n\
                #[cfg(test)]\n\
                #[path = \"x_tests.rs\"]\n\
                mod tests;\n";
    let code = code_only(text);
    assert_eq!(code.len(), text.len());
    let (ranges, modules) = test_items(text, &code);
    assert_eq!(modules, ["more_tests", "x_tests.rs"]);
    let found: Vec<(usize, String)> = imports(&code, 2, &ranges)
        .into_iter()
        .map(|i| (i.line, i.first))
        .collect();
    let expected = [(1, "a"), (2, "b"), (2, "c"), (7, "d"), (8, "e")];
    let expected: Vec<(usize, String)> =
        expected.iter().map(|(l, m)| (*l, m.to_string())).collect();
    assert_eq!(found, expected);
}
