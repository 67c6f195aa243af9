//! The map from `helm template` output back to a chart's templates and values files.
//!
//! Method (measured against the hand-written truth in `tests/data/helm-truth`):
//! 1. Each rendered document names its template (`# Source:`). The template is *expanded*:
//!    its lines, with `include`d helper bodies inlined at their `nindent`, each classified as a
//!    text line (emits one line; a pattern of literal text and holes for actions), a block
//!    (`toYaml`, `tpl`, an unknown `include`: emits any number of lines, at least as indented as
//!    its `nindent`) or control (`if`/`with`/`range`/`end`: emits nothing). Control lines keep
//!    the values they test and what `.` is inside them.
//! 2. The document's lines are aligned to the expanded template by dynamic programming: a text
//!    line matches a rendered line with the same indentation and the same literal text; a block
//!    absorbs lines; any template line may be skipped (a branch not taken); a rendered line
//!    explained by nothing costs. A text line inside `range` may match again.
//! 3. A rendered line that a text line produced maps to that template line (`exact` when the
//!    line is literal, else `line`), or, when the line's value is a `{{ .Values.x }}`, to the
//!    line of the *last* values file that set `x` (Helm's merge: maps merge key by key, lists
//!    and scalars replace, `null` deletes), with the template line as related.
//! 4. A rendered line inside a `toYaml .Values.x` block maps to `x` plus the line's path inside
//!    the block, in the values file that set it.
//! 5. An absence (a rule's finding about a field that is not there) maps to the values line that
//!    left the guarding `{{ with }}`/`{{ if }}` empty, with the guard and the skipped key line as
//!    related.
//!
//! Anything else maps to the template file with [`Precision::File`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::{LineIndex, Span};
use crate::source_map::{Mapped, Origin, Precision, Related, SourceId, SourceMap, Sources};

use super::helm::sources_file;

/// Where a finding is in the rendering (see [`HelmMap::rendered_at`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RenderedAt {
    /// The template as helm names it in `# Source:`.
    pub template: String,
    /// 0-based document of the rendering (among those with a `# Source:`).
    pub document: usize,
    /// 1-based line in the rendered text.
    pub line: u32,
}

/// The map of one rendering.
#[derive(Debug)]
pub struct HelmMap {
    /// The rendered text's line index.
    rendered_lines: LineIndex,
    rendered: Arc<str>,
    files: Vec<TextFile>,
    values: Vec<ValuesFile>,
    docs: Vec<DocMap>,
    /// Chart.yaml, or the first file: the fallback when a line is outside every document.
    fallback: SourceId,
}

#[derive(Debug)]
struct TextFile {
    source: SourceId,
    text: Arc<str>,
    index: LineIndex,
}

impl TextFile {
    fn line_span(&self, line: usize) -> Span {
        self.index.line_span(&self.text, line)
    }

    fn line_text(&self, line: usize) -> &str {
        &self.text[self.line_span(line).range()]
    }

    fn origin(&self, line: usize, precision: Precision) -> Origin {
        let span = self.line_span(line);
        let indent = self.text[span.range()].len() - self.text[span.range()].trim_start().len();
        Origin {
            source: self.source,
            span: Span::new(span.start as usize + indent, span.end as usize),
            precision,
        }
    }
}

/// One values file, flattened: every path (`a.b[0].c`) to its node.
#[derive(Debug)]
struct ValuesFile {
    file: usize,
    nodes: HashMap<String, ValueNode>,
}

#[derive(Clone, Debug)]
struct ValueNode {
    /// 0-based line of the key (or of the `-` of a sequence item).
    line: usize,
    kind: ValueKind,
    /// The scalar's text, for scalars.
    scalar: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueKind {
    Null,
    Scalar,
    EmptyMap,
    Map,
    EmptySeq,
    Seq,
}

impl ValueKind {
    fn is_empty(self) -> bool {
        matches!(self, Self::Null | Self::EmptyMap | Self::EmptySeq)
    }
}

#[derive(Debug)]
struct DocMap {
    /// 0-based rendered lines `[first, end)` of the document's content.
    first: usize,
    end: usize,
    /// The template named by `# Source:` (an index into `files`).
    template: Option<usize>,
    lines: Vec<TLine>,
    /// Expanded lines in a branch the values rule out.
    dead: Vec<bool>,
    /// Per rendered line of the document.
    assign: Vec<Assign>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Assign {
    None,
    /// Produced by the text line.
    Text(u32),
    /// Inside the block (the expanded line), which starts at this rendered line (absolute).
    Block(u32, u32),
}

/// One line of an expanded template.
#[derive(Clone, Debug)]
struct TLine {
    file: usize,
    line: usize,
    kind: TKind,
    /// The indentation it renders at, when known.
    indent: Option<usize>,
    /// The literal pieces (text lines): matched in order, with anything between them.
    pieces: Vec<String>,
    /// Whether the line holds an action (else it is literal text).
    has_action: bool,
    /// The values the line's actions read (`a.b`, `list[]` inside a `range`).
    refs: Vec<String>,
    /// The YAML key the line writes, when it starts with one (`- ` stripped).
    key: Option<String>,
    /// Enclosing `if`/`with`/`range` lines (indices into the expanded lines), outermost first.
    guards: Vec<u32>,
    /// For a text line inside `range`: the first line of the range's body.
    range_body: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TKind {
    Text,
    Block,
    Control(Ctl),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctl {
    If,
    With,
    Range,
    Else,
    End,
    Other,
}

/// `.` inside the template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Dot {
    Root,
    Values(String),
    Unknown,
}

/// A template file split into logical lines (actions that span lines joined to their first).
#[derive(Debug)]
struct Logical {
    /// (0-based first physical line, text)
    lines: Vec<(usize, String)>,
}

#[derive(Clone, Copy, Debug)]
struct Define {
    file: usize,
    /// Logical line indices of the body `[from, to)`.
    from: usize,
    to: usize,
}

/// An expanded template stops inlining helpers past this many lines (a chart that includes a
/// helper from itself many times over); the rest are blocks that absorb any lines.
const MAX_EXPANDED: usize = 20_000;

/// The largest alignment table (rendered lines × expanded template lines) of one document.
const MAX_CELLS: usize = 8_000_000;

struct Expander<'a> {
    logical: &'a [Logical],
    defines: &'a HashMap<String, Define>,
    out: Vec<TLine>,
}

/// One control frame while expanding.
#[derive(Clone, Debug)]
struct Frame {
    line: Option<u32>,
    kind: Ctl,
    saved_dot: Dot,
}

impl HelmMap {
    /// Build the map of `rendered` (the stdout of `helm template` on `chart`), with the values
    /// files in merge order (the chart's `values.yaml` first). Chart files are registered in
    /// `sources` under their paths.
    #[must_use]
    pub fn build(chart: &Path, rendered: &str, values: &[PathBuf], sources: &Sources) -> Self {
        let fallback = sources_file(sources, &chart.join("Chart.yaml"))
            .unwrap_or_else(|| sources.add(chart.join("Chart.yaml").display().to_string(), ""));
        let mut files = Vec::new();
        let mut by_path: HashMap<PathBuf, usize> = HashMap::new();
        let mut template_paths = Vec::new();
        collect_templates(chart, &mut template_paths, 0);
        template_paths.sort();
        let mut logical = Vec::new();
        for path in &template_paths {
            let Some(id) = sources_file(sources, path) else {
                continue;
            };
            let text = Arc::clone(&sources.get(id).text);
            by_path.insert(path.clone(), files.len());
            logical.push(split_logical(&text));
            files.push(TextFile {
                source: id,
                index: LineIndex::new(&text),
                text,
            });
        }
        let defines = collect_defines(&logical);
        let mut values_files = Vec::new();
        for path in values {
            let Some(id) = sources_file(sources, path) else {
                continue;
            };
            let text = Arc::clone(&sources.get(id).text);
            let index = LineIndex::new(&text);
            let nodes = flatten_values(&text, &index);
            values_files.push(ValuesFile {
                file: files.len(),
                nodes,
            });
            files.push(TextFile {
                source: id,
                index,
                text,
            });
        }
        let rendered_lines = LineIndex::new(rendered);
        let mut map = Self {
            rendered_lines,
            rendered: Arc::from(rendered),
            files,
            values: values_files,
            docs: Vec::new(),
            fallback,
        };
        let line_texts: Vec<&str> = rendered.lines().collect();
        let mut expanded: HashMap<usize, Vec<TLine>> = HashMap::new();
        let mut token_cache: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
        let mut at = 0;
        while at < line_texts.len() {
            let Some(source) = line_texts[at].strip_prefix("# Source: ") else {
                at += 1;
                continue;
            };
            let first = at + 1;
            let mut end = first;
            while end < line_texts.len() && line_texts[end] != "---" {
                end += 1;
            }
            let relative = source.split_once('/').map_or("", |(_, r)| r);
            let template = by_path.get(&chart.join(relative)).copied();
            let lines = match template {
                Some(t) => expanded
                    .entry(t)
                    .or_insert_with(|| {
                        let mut ex = Expander {
                            logical: &logical,
                            defines: &defines,
                            out: Vec::new(),
                        };
                        let n = logical[t].lines.len();
                        ex.expand(t, 0, n, Some(0), &mut Dot::Root, &mut Vec::new(), 0);
                        ex.out
                    })
                    .clone(),
                None => Vec::new(),
            };
            let tokens: Vec<Option<std::collections::HashSet<String>>> = lines
                .iter()
                .map(|t| {
                    let path = t.refs.first().filter(|p| !p.contains("[]"))?;
                    (t.kind == TKind::Block).then(|| {
                        token_cache
                            .entry(path.clone())
                            .or_insert_with(|| map.block_tokens(path))
                            .clone()
                    })
                })
                .collect();
            let dead = map.dead_lines(&lines);
            let assign = align(&line_texts[first..end], &lines, first, &tokens, &dead);
            map.docs.push(DocMap {
                first,
                end,
                template,
                lines,
                dead,
                assign,
            });
            at = end;
        }
        map
    }

    /// What a `toYaml` of the value at `path` may show: `key=value` for scalars, `key` for
    /// maps and lists, bare values for list items (from every values file).
    fn block_tokens(&self, path: &str) -> std::collections::HashSet<String> {
        let mut out = std::collections::HashSet::new();
        for vf in &self.values {
            for (p, node) in &vf.nodes {
                let Some(rest) = p.strip_prefix(path) else {
                    continue;
                };
                if !(rest.starts_with('.') || rest.starts_with('[')) {
                    continue;
                }
                let last = p.rsplit('.').next().unwrap_or(p);
                let scalar = node.scalar.as_deref().map(unquote);
                if last.ends_with(']') {
                    if let Some(v) = scalar {
                        out.insert(v.to_string());
                    }
                    continue;
                }
                let key = last.split('[').next().unwrap_or(last);
                match scalar {
                    Some(v) if node.kind == ValueKind::Scalar => {
                        out.insert(format!("{key}={v}"));
                    }
                    _ => {
                        out.insert(key.to_string());
                    }
                }
            }
        }
        out
    }

    /// Where a span of the rendered text is, for the JSON `rendered` object: the template
    /// helm names (`# Source:`, e.g. `agent/templates/ds.yaml`), the 0-based document of the
    /// rendering and the 1-based line in the whole rendered text.
    #[must_use]
    pub fn rendered_at(&self, span: Span) -> Option<RenderedAt> {
        let line = self.rendered_lines.line_of(span.start);
        let (document, doc) = self
            .docs
            .iter()
            .enumerate()
            .find(|(_, d)| line >= d.first && line < d.end)?;
        let template = self
            .rendered_line(doc.first.checked_sub(1)?)
            .strip_prefix("# Source: ")?
            .to_string();
        Some(RenderedAt {
            template,
            document,
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
        })
    }

    /// Each rendered line with what it was aligned to (for diagnosing the alignment).
    #[doc(hidden)]
    #[must_use]
    pub fn explain(&self) -> String {
        let mut out = String::new();
        for doc in &self.docs {
            for (k, a) in doc.assign.iter().enumerate() {
                let line = doc.first + k;
                let what = match a {
                    Assign::None => "-".to_string(),
                    Assign::Text(t) => {
                        let t = &doc.lines[*t as usize];
                        format!("T {}:{}", t.file, t.line + 1)
                    }
                    Assign::Block(b, start) => {
                        let t = &doc.lines[*b as usize];
                        format!(
                            "B {}:{} {:?} from {}",
                            t.file,
                            t.line + 1,
                            t.refs,
                            start + 1
                        )
                    }
                };
                out.push_str(&format!(
                    "{:5} {:40} | {}\n",
                    line + 1,
                    what,
                    self.rendered_line(line)
                ));
            }
        }
        out
    }

    /// Whether a value is true for a template's `if`/`with` (unset, null, empty, false, 0 and
    /// "" are false).
    fn truthy(&self, path: &str) -> bool {
        match self.lookup(path) {
            None => false,
            Some((_, node)) => match node.kind {
                ValueKind::Null | ValueKind::EmptyMap | ValueKind::EmptySeq => false,
                ValueKind::Map | ValueKind::Seq => true,
                ValueKind::Scalar => !matches!(
                    node.scalar.as_deref().map(unquote),
                    Some("false" | "0" | "" | "~" | "null")
                ),
            },
        }
    }

    /// The value of a control line's condition, when it is a simple test of one value.
    fn condition(&self, t: &TLine) -> Option<bool> {
        let TKind::Control(ctl) = t.kind else {
            return None;
        };
        let path = t.refs.first()?;
        if path.contains("[]") || t.refs.iter().any(|r| r != path) {
            return None;
        }
        let text = self.files[t.file].line_text(t.line);
        let inner = actions(text)
            .into_iter()
            .map(|(_, _, i)| i)
            .find(|i| matches!(keyword(i), Some("if" | "with" | "range" | "else")))?;
        let expr = inner
            .strip_prefix("else")
            .map_or(inner.as_str(), str::trim)
            .trim();
        let expr = match ctl {
            Ctl::Else => expr.strip_prefix("if ")?.trim(),
            _ => expr.split_once(' ').map(|(_, e)| e.trim())?,
        };
        let words: Vec<&str> = expr.split_whitespace().collect();
        // `(or (eq .Values.x "a") (eq .Values.x "b"))`: x is one of the literals.
        let bare = expr.trim_start_matches('(');
        if bare.starts_with("or (eq ") {
            let literals: Vec<&str> = words
                .iter()
                .filter(|w| w.starts_with('"'))
                .map(|w| w.trim_end_matches(')').trim_matches('"'))
                .collect();
            let ops = words
                .iter()
                .filter(|w| w.trim_start_matches('(') == "eq")
                .count();
            if ops != literals.len()
                || ops != t.refs.len()
                || words.iter().any(|w| {
                    w.trim_start_matches('(') != "eq"
                        && !w.starts_with('"')
                        && !w.starts_with('.')
                        && !w.starts_with('$')
                        && *w != "or"
                        && *w != "(or"
                })
            {
                return None;
            }
            let (_, node) = self.lookup(path)?;
            let v = node.scalar.as_deref().map(unquote)?;
            return Some(literals.contains(&v));
        }
        if t.refs.len() != 1 {
            return None;
        }
        match words.as_slice() {
            [_] => Some(self.truthy(path)),
            ["not", _] => Some(!self.truthy(path)),
            ["ne", "(len", _, "0"] | ["gt", "(len", _, "0"] => Some(self.truthy(path)),
            ["eq", a, b] | ["ne", a, b] => {
                let lit = if a.starts_with('"') { a } else { b };
                if !lit.starts_with('"') {
                    return None;
                }
                let (_, node) = self.lookup(path)?;
                let v = node.scalar.as_deref().map(unquote)?;
                let same = v == lit.trim_matches('"');
                Some(if words[0] == "eq" { same } else { !same })
            }
            _ => None,
        }
    }

    /// The expanded lines in a branch the values rule out.
    fn dead_lines(&self, lines: &[TLine]) -> Vec<bool> {
        let conds: Vec<Option<bool>> = lines.iter().map(|t| self.condition(t)).collect();
        // A branch line is taken when its own test passes and no earlier branch of its chain
        // did; `Some(false)` when the values rule it out.
        let mut taken: Vec<Option<bool>> = vec![None; lines.len()];
        for (j, t) in lines.iter().enumerate() {
            match t.kind {
                TKind::Control(Ctl::If | Ctl::With | Ctl::Range) => taken[j] = conds[j],
                TKind::Control(Ctl::Else) => {
                    let prev = t.guards.last().map(|&g| g as usize);
                    let before = prev.and_then(|p| {
                        // The chain so far was taken if the previous branch or any before it was.
                        let mut k = Some(p);
                        let mut any_true = false;
                        let mut all_known = true;
                        while let Some(b) = k {
                            match (lines[b].kind, conds[b]) {
                                (_, Some(true)) => any_true = true,
                                (_, Some(false)) => {}
                                _ => all_known = false,
                            }
                            k = if lines[b].kind == TKind::Control(Ctl::Else) {
                                lines[b].guards.last().map(|&g| g as usize)
                            } else {
                                None
                            };
                        }
                        if any_true {
                            Some(true)
                        } else if all_known {
                            Some(false)
                        } else {
                            None
                        }
                    });
                    let own = if actions(self.files[t.file].line_text(t.line))
                        .iter()
                        .any(|(_, _, i)| i.starts_with("else if"))
                    {
                        conds[j]
                    } else {
                        Some(true)
                    };
                    taken[j] = match (before, own) {
                        (Some(true), _) | (_, Some(false)) => Some(false),
                        (Some(false), Some(true)) => Some(true),
                        _ => None,
                    };
                }
                _ => {}
            }
        }
        lines
            .iter()
            .map(|t| t.guards.iter().any(|&g| taken[g as usize] == Some(false)))
            .collect()
    }

    fn doc_of(&self, line: usize) -> Option<&DocMap> {
        self.docs.iter().find(|d| line >= d.first && line < d.end)
    }

    fn rendered_line(&self, line: usize) -> &str {
        if line >= self.rendered_lines.line_count() {
            return "";
        }
        let start = self.rendered_lines.line_start(line) as usize;
        let rest = &self.rendered[start.min(self.rendered.len())..];
        let end = rest.find('\n').unwrap_or(rest.len());
        rest[..end].strip_suffix('\r').unwrap_or(&rest[..end])
    }

    /// The values node that Helm's merge kept for `path`: the last file that set it (for a map,
    /// the last that set it non-empty, since an empty map merges into nothing).
    fn lookup(&self, path: &str) -> Option<(usize, ValueNode)> {
        let mut empty_map: Option<(usize, ValueNode)> = None;
        for vf in self.values.iter().rev() {
            // A later file that replaced a prefix with a scalar, list or null hides the earlier
            // files' deeper keys.
            if let Some(node) = vf.nodes.get(path) {
                if node.kind == ValueKind::EmptyMap {
                    if empty_map.is_none() {
                        empty_map = Some((vf.file, node.clone()));
                    }
                    continue;
                }
                if node.kind == ValueKind::Map && empty_map.is_some() {
                    return Some((vf.file, node.clone()));
                }
                return Some((vf.file, node.clone()));
            }
            if prefixes(path).any(|p| {
                vf.nodes
                    .get(p)
                    .is_some_and(|n| !matches!(n.kind, ValueKind::Map | ValueKind::EmptyMap))
            }) {
                return empty_map;
            }
        }
        empty_map
    }

    fn template_file(&self, doc: &DocMap) -> SourceId {
        doc.template.map_or(self.fallback, |t| self.files[t].source)
    }

    fn tline_origin(&self, t: &TLine, precision: Precision) -> Origin {
        self.files[t.file].origin(t.line, precision)
    }

    fn related(&self, t: &TLine, message: &str) -> Related {
        Related {
            origin: self.tline_origin(t, Precision::Line),
            message: message.to_string(),
        }
    }

    /// The values origin for `path`, exact when the values line shows `shown` (the rendered
    /// line's text, trimmed).
    fn values_origin(&self, path: &str, shown: Option<&str>) -> Option<Origin> {
        let (file, node) = self.lookup(path)?;
        let tf = &self.files[file];
        let text = tf.line_text(node.line).trim();
        let text = text.strip_prefix("- ").unwrap_or(text).trim();
        let precision = match shown {
            Some(shown) if same_yaml_line(text, shown) => Precision::Exact,
            _ => Precision::Line,
        };
        Some(tf.origin(node.line, precision))
    }

    /// The values line of a scalar a template line writes as its value (`key: {{ .Values.x }}`):
    /// exact when the rendered value is the scalar itself.
    fn value_origin(&self, path: &str, shown: &str) -> Option<Origin> {
        let (file, node) = self.lookup(path)?;
        let rendered_value = shown.split_once(": ").map(|(_, v)| unquote(v));
        let precision = match (node.scalar.as_deref().map(unquote), rendered_value) {
            (Some(v), Some(r)) if node.kind == ValueKind::Scalar && v == r => Precision::Exact,
            _ => Precision::Line,
        };
        Some(self.files[file].origin(node.line, precision))
    }

    /// Whether the value at `path` is empty (`""`, `~`, `null`, no value) while the rendered
    /// line shows a value: the text then comes from the template (a `default`).
    fn empty_but_rendered(&self, path: &str, shown: &str) -> bool {
        let Some((_, node)) = self.lookup(path) else {
            return false;
        };
        let empty = node.kind == ValueKind::Null
            || (node.kind == ValueKind::Scalar
                && node
                    .scalar
                    .as_deref()
                    .is_some_and(|s| matches!(unquote(s), "" | "~" | "null")));
        let rendered = shown.split_once(": ").map_or("", |(_, v)| unquote(v));
        empty && !rendered.is_empty() && !matches!(rendered, "~" | "null")
    }

    /// Map one rendered line (0-based).
    fn map_line(&self, line: usize) -> Mapped {
        let Some(doc) = self.doc_of(line) else {
            return Origin::file(self.fallback).into();
        };
        let file_only: Mapped = Origin::file(self.template_file(doc)).into();
        let shown = self.rendered_line(line).trim();
        let shown = shown.strip_prefix("- ").unwrap_or(shown).trim();
        match doc.assign[line - doc.first] {
            Assign::None => match self.value_search(shown) {
                Some(origin) => origin.into(),
                None => file_only,
            },
            Assign::Text(t) => {
                let t = &doc.lines[t as usize];
                if let Some(mapped) = self.map_in_range(doc, line, t, shown) {
                    return mapped;
                }
                if !t.has_action {
                    if let Some(flag) = self.switched_on_by(doc, t) {
                        return flag;
                    }
                    return self.tline_origin(t, Precision::Exact).into();
                }
                // `key: {{ .Values.x }}`: the value's own line in the values files.
                if let [path] = t.refs.as_slice() {
                    if let Some(origin) = (!path.contains("[]"))
                        .then(|| self.value_origin(path, shown))
                        .flatten()
                        .filter(|o| o.precision == Precision::Exact || value_like(t, shown))
                    {
                        if self.empty_but_rendered(path, shown) {
                            // The text is the template's `default`, not the empty value.
                            return Mapped {
                                primary: self.tline_origin(t, Precision::Line),
                                related: vec![Related {
                                    origin: Origin {
                                        precision: Precision::Line,
                                        ..origin
                                    },
                                    message: "the empty value the template's default stands for"
                                        .to_string(),
                                }],
                            };
                        }
                        return Mapped {
                            primary: origin,
                            related: vec![self.related(t, "the template line that uses this value")],
                        };
                    }
                }
                self.tline_origin(t, Precision::Line).into()
            }
            Assign::Block(b, start) => {
                let t = &doc.lines[b as usize];
                if let Some(mapped) = self.set_in_dict(doc, b as usize, shown) {
                    return mapped;
                }
                let Some(base) = t.refs.first().filter(|p| !p.contains("[]")) else {
                    // A value a helper computed (`toYaml $volumes`): a path the values hold.
                    if let Some(origin) = self.value_search(shown) {
                        return Mapped {
                            primary: origin,
                            related: vec![
                                self.related(t, "the template line that emits this value")
                            ],
                        };
                    }
                    return self.tline_origin(t, Precision::Line).into();
                };
                let Some(sub) = block_path(
                    &self.rendered,
                    &self.rendered_lines,
                    doc,
                    start as usize,
                    line,
                ) else {
                    return self.tline_origin(t, Precision::Line).into();
                };
                let path = join_path(base, &sub);
                match self.values_origin(&path, Some(shown)) {
                    Some(origin) => Mapped {
                        primary: origin,
                        related: vec![self.related(t, "the template line that emits this value")],
                    },
                    None => self.tline_origin(t, Precision::Line).into(),
                }
            }
        }
    }

    /// A line written by a `range` over a values list: the list item of this iteration (found
    /// by counting the iterations in the rendered text, and checked against it).
    fn map_in_range(&self, doc: &DocMap, line: usize, t: &TLine, shown: &str) -> Option<Mapped> {
        let r = t
            .guards
            .iter()
            .rev()
            .copied()
            .find(|&g| doc.lines[g as usize].kind == TKind::Control(Ctl::Range))?;
        let range = &doc.lines[r as usize];
        let list = range.refs.first().filter(|p| !p.contains("[]"))?;
        // Iterations: a match to a body line at or before the previous one starts a new one.
        let mut iteration = 0usize;
        let mut last: Option<u32> = None;
        let mut start = doc.first;
        for l in doc.first..=line {
            let Assign::Text(j) = doc.assign[l - doc.first] else {
                continue;
            };
            if !doc.lines[j as usize].guards.contains(&r) {
                if last.is_some() && j < r {
                    last = None;
                    iteration = 0;
                }
                continue;
            }
            if let Some(prev) = last {
                if j <= prev {
                    iteration += 1;
                    start = l;
                }
            } else {
                start = l;
            }
            last = Some(j);
        }
        let item = format!("{list}[{iteration}]");
        let (file, node) = self.lookup(&item)?;
        // The iteration's rendered lines must show the item's values.
        let mut end = line + 1;
        let mut prev = last;
        while end < doc.end {
            match doc.assign[end - doc.first] {
                Assign::Text(j) if doc.lines[j as usize].guards.contains(&r) => {
                    if prev.is_some_and(|p| j <= p) {
                        break;
                    }
                    prev = Some(j);
                }
                Assign::Text(_) => break,
                _ => {}
            }
            end += 1;
        }
        let region: Vec<&str> = (start..end).map(|l| self.rendered_line(l)).collect();
        let scalars: Vec<String> = self
            .values
            .iter()
            .filter(|vf| vf.file == file)
            .flat_map(|vf| {
                vf.nodes.iter().filter_map(|(p, n)| {
                    (p == &item || p.starts_with(&format!("{item}.")))
                        .then(|| n.scalar.as_deref().map(|v| unquote(v).to_string()))
                        .flatten()
                })
            })
            .filter(|v| v.len() > 1)
            .collect();
        if scalars.is_empty()
            || !scalars
                .iter()
                .all(|v| region.iter().any(|l| l.contains(v.as_str())))
        {
            return None;
        }
        // The field's own line when the template line reads one, else the item.
        let field = t
            .refs
            .iter()
            .find(|p| p.contains("[]"))
            .map(|p| p.replacen("[]", &format!("[{iteration}]"), 1));
        if let Some(field) = field.filter(|f| f != &item && !shown.starts_with("- ")) {
            if let Some(origin) = self.values_origin(&field, Some(shown)) {
                return Some(Mapped {
                    primary: origin,
                    related: vec![self.related(t, "the template line that uses this value")],
                });
            }
        }
        Some(Mapped {
            primary: self.files[file].origin(node.line, Precision::Line),
            related: vec![self.related(t, "the template line that writes each item")],
        })
    }

    /// A rendered path value (`/var/run/docker.sock`, or `/host/var/run/docker.sock` that a
    /// helper prefixed) that a values file holds: the first such value in the merged values.
    fn value_search(&self, shown: &str) -> Option<Origin> {
        let (_, value) = shown.split_once(": ")?;
        let value = unquote(value);
        if !value.starts_with('/') || value.len() < 6 {
            return None;
        }
        let mut best: Option<(usize, usize, bool)> = None; // (file, line, equal)
        for vf in &self.values {
            for (path, node) in &vf.nodes {
                let Some(s) = node.scalar.as_deref().map(unquote) else {
                    continue;
                };
                let equal = s == value;
                let suffix = !equal
                    && s.len() >= 8
                    && s.starts_with('/')
                    && value.ends_with(s)
                    && value.len() > s.len();
                if !(equal || suffix) {
                    continue;
                }
                // Only what Helm's merge kept.
                if self.lookup(path).map(|(f, _)| f) != Some(vf.file) {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((f, l, _)) => (vf.file, node.line) < (f, l),
                };
                if better {
                    best = Some((vf.file, node.line, equal));
                }
            }
        }
        let (file, line, equal) = best?;
        let tf = &self.files[file];
        let shown_line = tf
            .line_text(line)
            .trim()
            .trim_start_matches("- ")
            .to_string();
        let precision = if equal && same_yaml_line(&shown_line, shown) {
            Precision::Exact
        } else {
            Precision::Line
        };
        Some(tf.origin(line, precision))
    }

    /// A line of `toYaml $dict` whose field a taken branch `set` (`set $ctx "privileged" true`):
    /// that template line.
    fn set_in_dict(&self, doc: &DocMap, b: usize, shown: &str) -> Option<Mapped> {
        let block = &doc.lines[b];
        let text = self.files[block.file].line_text(block.line);
        let var = actions(text).into_iter().find_map(|(_, _, inner)| {
            let rest = inner.strip_prefix("toYaml ")?;
            let var = rest.trim_start_matches('(').split_whitespace().next()?;
            let var = var.trim_end_matches(')');
            var.starts_with('$').then(|| var.to_string())
        })?;
        let (key, value) = shown.split_once(": ")?;
        let wanted = format!("set {var} \"{key}\" {value}");
        let candidates: Vec<usize> = (0..b)
            .filter(|&j| {
                let t = &doc.lines[j];
                t.kind == TKind::Control(Ctl::Other)
                    && !doc.dead[j]
                    && t.file == block.file
                    && self.files[t.file].line_text(t.line).contains(&wanted)
            })
            .collect();
        // Only one live `set` of that field: else the values cannot tell which branch ran.
        let [j] = candidates.as_slice() else {
            return None;
        };
        let j = *j;
        Some(Mapped {
            primary: self.tline_origin(&doc.lines[j], Precision::Line),
            related: vec![self.related(block, "the template line that emits the value")],
        })
    }

    /// A literal line that is the only line of an `{{ if .Values.flag }}` set to `true`: the
    /// flag is where the user turns it off.
    fn switched_on_by(&self, doc: &DocMap, t: &TLine) -> Option<Mapped> {
        let g = *t.guards.last()?;
        let guard = &doc.lines[g as usize];
        if guard.kind != TKind::Control(Ctl::If) || guard.refs.len() != 1 {
            return None;
        }
        let expr = self.files[guard.file].line_text(guard.line);
        // Only a plain test of the value (`if .Values.x`), not a comparison or a negation.
        let plain = actions(expr)
            .iter()
            .any(|(_, _, inner)| inner.split_whitespace().count() == 2 && inner.starts_with("if "));
        let body = doc
            .lines
            .iter()
            .filter(|l| l.kind != TKind::Control(Ctl::End) && l.guards.last() == Some(&g))
            .count();
        if !plain || body != 1 {
            return None;
        }
        let (file, node) = self.lookup(&guard.refs[0])?;
        if node.scalar.as_deref() != Some("true") {
            return None;
        }
        Some(Mapped {
            primary: self.files[file].origin(node.line, Precision::Exact),
            related: vec![
                self.related(guard, "the condition that writes the field"),
                self.related(t, "the template line that writes the field"),
            ],
        })
    }

    /// An absent field: the template's key line for `key` under the rendered line `parent`
    /// (skipped), its guard, and the values line that left the guard empty.
    fn map_absent(
        &self,
        parent: usize,
        key: &str,
        precision_if_empty: Precision,
    ) -> Option<Mapped> {
        let doc = self.doc_of(parent)?;
        let Assign::Text(p) = doc.assign[parent - doc.first] else {
            return None;
        };
        let pt = &doc.lines[p as usize];
        let parent_indent = pt.indent?;
        let child_indent = parent_indent + 2;
        // The candidate key lines: after the parent, before the parent's block ends.
        let mut found = None;
        for (j, t) in doc.lines.iter().enumerate().skip(p as usize + 1) {
            let Some(indent) = t.indent else { continue };
            if t.kind == TKind::Text && indent <= parent_indent {
                break;
            }
            if t.kind == TKind::Text && indent == child_indent && t.key.as_deref() == Some(key) {
                found = Some(j);
                break;
            }
        }
        let j = found?;
        let key_line = &doc.lines[j];
        let matched = doc.assign.contains(&Assign::Text(j as u32));
        if matched {
            // Present after all: the value block under it.
            let next = doc.lines.get(j + 1)?;
            let path = if next.kind == TKind::Block {
                next.refs.first()?.clone()
            } else {
                key_line.refs.first()?.clone()
            };
            let primary = self.values_origin(&path, None)?;
            let mut related = vec![self.related(key_line, "the template's key line")];
            if next.kind == TKind::Block {
                related.push(self.related(next, "the template line that emits the value"));
            }
            return Some(Mapped {
                primary: Origin {
                    precision: Precision::Line,
                    ..primary
                },
                related,
            });
        }
        // Skipped: the innermost guard that tests a value.
        let guard = key_line
            .guards
            .iter()
            .rev()
            .map(|g| &doc.lines[*g as usize])
            .find(|g| !g.refs.is_empty())?;
        let mut related = vec![
            self.related(guard, "the condition that skipped the field"),
            self.related(key_line, "the field the template would write"),
        ];
        let path = guard.refs.first()?;
        let primary = match self.lookup(path) {
            Some((file, node)) => {
                let precision = if node.kind.is_empty()
                    || node
                        .scalar
                        .as_deref()
                        .is_some_and(|s| matches!(s, "\"\"" | "''" | "false" | "~" | "null"))
                {
                    precision_if_empty
                } else {
                    Precision::Line
                };
                self.files[file].origin(node.line, precision)
            }
            None => match self.commented_key(path) {
                // Never set, but the chart documents it as a comment: that is where to set it.
                Some(origin) => origin,
                None => {
                    related.clear();
                    related.push(self.related(key_line, "the field the template would write"));
                    self.tline_origin(guard, Precision::Line)
                }
            },
        };
        Some(Mapped { primary, related })
    }

    /// Map a finding of `rule` at `span` with its JSON `path`.
    #[must_use]
    pub fn map_finding(&self, span: Span, path: Option<&str>, rule: &str) -> Mapped {
        let line = self.rendered_lines.line_of(span.start);
        // A container finding reported at `name:`: the container is the item holding it.
        let item = if path.is_some_and(|p| p.ends_with(".name")) {
            self.item_line(line)
        } else {
            line
        };
        let absent = match (rule, path) {
            ("missing-priority-class", _) => Some(("priorityClassName", Precision::Exact)),
            ("missing-control-plane-toleration", _) => Some(("tolerations", Precision::Exact)),
            ("missing-resource-requests" | "missing-resource-limits", Some(p))
                if p.ends_with(".name") =>
            {
                Some(("resources", Precision::Exact))
            }
            ("run-as-root", Some(p)) if p.ends_with(".name") => {
                Some(("securityContext", Precision::Line))
            }
            _ => None,
        };
        if let Some(mut mapped) =
            absent.and_then(|(key, precision)| self.map_absent(item, key, precision))
        {
            if rule == "run-as-root" {
                // The pod-level place is the other fix.
                if let Some(pod_mapped) = self
                    .pod_spec_line(line)
                    .and_then(|pod| self.map_absent(pod, "securityContext", Precision::Line))
                {
                    mapped.related.extend(pod_mapped.related);
                }
            }
            return mapped;
        }
        if let ("missing-resource-requests" | "missing-resource-limits", Some(p)) = (rule, path) {
            let part = if rule == "missing-resource-limits" {
                "limits"
            } else {
                "requests"
            };
            if p.ends_with(".resources") {
                if let Some(mapped) = self.map_resources(line, part) {
                    return mapped;
                }
            }
        }
        if rule == "writable-host-path" {
            // A mount that says `readOnly: false`: that line is the fix.
            if let Some(ro) = self.item_field(line, "readOnly") {
                let mapped = self.map_line(ro);
                if mapped.primary.precision != Precision::File {
                    return mapped;
                }
            }
            if let Some(mapped) = self.template_mount_item(line) {
                return mapped;
            }
        }
        let mut mapped = self.map_line(line);
        if absent.is_some()
            || matches!(
                rule,
                "writable-host-path"
                    | "run-as-root"
                    | "missing-resource-requests"
                    | "missing-resource-limits"
            )
        {
            // The fix adds a field (`readOnly: true`, `runAsNonRoot: true`): no text there to
            // replace, so no automatic fix may edit this line.
            mapped.primary.precision = mapped.primary.precision.min(Precision::Line);
        }
        if rule == "run-as-root" && path.is_some_and(|p| p.ends_with("securityContext")) {
            // A block that exists without `runAsNonRoot`: the map's key, not a value inside.
            if let Some(block) = self.map_absent_present(line) {
                mapped = block;
            }
        }
        mapped
    }

    /// A mount item the template writes itself, its first line holding a value
    /// (`- mountPath: {{ .Values.dir }}`): the fix adds `readOnly` to the template item, so the
    /// template line is the primary and the value's line, which only gives the path, is related.
    /// An item a `range` writes stays with its values list item.
    fn template_mount_item(&self, line: usize) -> Option<Mapped> {
        let doc = self.doc_of(line)?;
        let Assign::Text(t) = doc.assign[line - doc.first] else {
            return None;
        };
        let t = &doc.lines[t as usize];
        if !t.has_action
            || t.range_body.is_some()
            || !self.files[t.file]
                .line_text(t.line)
                .trim_start()
                .starts_with("- ")
        {
            return None;
        }
        let template = self.tline_origin(t, Precision::Line);
        let by_value = self.map_line(line);
        if by_value.primary.source == template.source {
            return None;
        }
        Some(Mapped {
            primary: template,
            related: vec![Related {
                origin: Origin {
                    precision: by_value.primary.precision.min(Precision::Line),
                    ..by_value.primary
                },
                message: "the value that gives the mount its path".to_string(),
            }],
        })
    }

    /// The first map from the values that fills the key at expanded line `k` (a block's value,
    /// or a map a helper included under the key tests or emits).
    fn map_value_under<'d>(&self, doc: &'d DocMap, k: usize) -> Option<(String, &'d TLine)> {
        let key_indent = doc.lines[k].indent?;
        for t in &doc.lines[k + 1..] {
            if t.kind == TKind::Text && t.indent.is_some_and(|i| i <= key_indent) {
                break;
            }
            for path in &t.refs {
                if path.contains("[]") {
                    continue;
                }
                if let Some((_, node)) = self.lookup(path) {
                    if matches!(node.kind, ValueKind::Map | ValueKind::EmptyMap) {
                        return Some((path.clone(), t));
                    }
                }
            }
        }
        None
    }

    /// A top-level key the chart's `values.yaml` documents only as a comment
    /// (`# priorityClassName: ""`).
    fn commented_key(&self, path: &str) -> Option<Origin> {
        if path.contains('.') || path.contains('[') {
            return None;
        }
        let chart_values = self.values.first()?;
        let tf = &self.files[chart_values.file];
        let wanted = format!("{path}:");
        let line = (0..tf.index.line_count()).find(|&l| {
            tf.line_text(l)
                .strip_prefix('#')
                .is_some_and(|rest| rest.trim_start().starts_with(&wanted))
        })?;
        Some(tf.origin(line, Precision::Line))
    }

    /// The rendered line of `key` in the list item that starts at `line`.
    fn item_field(&self, line: usize, key: &str) -> Option<usize> {
        let doc = self.doc_of(line)?;
        let text = self.rendered_line(line);
        let trimmed = text.trim_start();
        if !trimmed.starts_with("- ") {
            return None;
        }
        let indent = text.len() - trimmed.len() + 2;
        let wanted = format!("{key}:");
        if trimmed[2..].starts_with(&wanted) {
            return Some(line);
        }
        (line + 1..doc.end)
            .take_while(|&l| {
                let t = self.rendered_line(l);
                t.len() - t.trim_start().len() >= indent && !t.trim().is_empty()
            })
            .find(|&l| {
                let t = self.rendered_line(l);
                t.len() - t.trim_start().len() == indent && t.trim_start().starts_with(&wanted)
            })
    }

    /// The line of `key` directly under the mapping key at `line`.
    fn child_line(&self, line: usize, key: &str) -> Option<usize> {
        let doc = self.doc_of(line)?;
        let text = self.rendered_line(line);
        let indent = text.len() - text.trim_start().len() + 2;
        let wanted = format!("{key}:");
        (line + 1..doc.end)
            .take_while(|&l| {
                let t = self.rendered_line(l);
                t.len() - t.trim_start().len() >= indent
            })
            .find(|&l| {
                let t = self.rendered_line(l);
                t.len() - t.trim_start().len() == indent && t.trim_start().starts_with(&wanted)
            })
    }

    /// The rendered line of the list item holding `line` (itself when it starts one).
    fn item_line(&self, line: usize) -> usize {
        let text = self.rendered_line(line);
        let indent = text.len() - text.trim_start().len();
        if text.trim_start().starts_with("- ") || indent < 2 {
            return line;
        }
        let first = self.doc_of(line).map_or(0, |d| d.first);
        (first..line)
            .rev()
            .find(|&l| {
                let t = self.rendered_line(l);
                let i = t.len() - t.trim_start().len();
                i + 2 == indent && t.trim_start().starts_with("- ")
            })
            .unwrap_or(line)
    }

    /// `resources:` present without what the rule wants: the values map that fills it (its
    /// `limits`/`requests` when set), or the empty value that chose a literal default.
    fn map_resources(&self, line: usize, part: &str) -> Option<Mapped> {
        let doc = self.doc_of(line)?;
        let Assign::Text(k) = doc.assign[line - doc.first] else {
            return None;
        };
        let key_line = &doc.lines[k as usize];
        let next = doc.lines.get(k as usize + 1)?;
        if next.kind == TKind::Block {
            let path = next.refs.first()?;
            let sub = format!("{path}.{part}");
            let (path, node) = match self.lookup(&sub) {
                Some((_, node)) => (sub, node),
                None => (path.clone(), self.lookup(path)?.1),
            };
            let primary = self.values_origin(&path, None)?;
            let precision = if node.kind.is_empty() {
                Precision::Exact
            } else {
                Precision::Line
            };
            return Some(Mapped {
                primary: Origin {
                    precision,
                    ..primary
                },
                related: vec![
                    self.related(key_line, "the template's key line"),
                    self.related(next, "the template line that emits the value"),
                ],
            });
        }
        // A literal default in the `else` of `{{ with .Values.x }}`: x left empty chose it.
        let g = *key_line.guards.last()?;
        let guard = &doc.lines[g as usize];
        if guard.kind != TKind::Control(Ctl::Else) {
            return None;
        }
        let opener = &doc.lines[*guard.guards.last()? as usize];
        if !matches!(opener.kind, TKind::Control(Ctl::With | Ctl::If)) {
            return None;
        }
        let path = opener.refs.first()?;
        let (file, node) = self.lookup(path)?;
        if !node.kind.is_empty() {
            return None;
        }
        let mut related = vec![
            self.related(opener, "the condition that chose the default"),
            self.related(guard, "the default's branch"),
        ];
        // The literal `limits:`/`requests:` line of the default, when there is one.
        if let Some(part_line) = doc.lines[k as usize + 1..]
            .iter()
            .take_while(|l| l.guards.last() == Some(&g))
            .find(|l| l.kind == TKind::Text && l.key.as_deref() == Some(part))
        {
            related.push(self.related(part_line, "the default the template writes"));
        }
        Some(Mapped {
            primary: self.files[file].origin(node.line, Precision::Line),
            related,
        })
    }

    /// `securityContext:` present: the values map that fills it.
    fn map_absent_present(&self, line: usize) -> Option<Mapped> {
        let doc = self.doc_of(line)?;
        let Assign::Text(k) = doc.assign[line - doc.first] else {
            return None;
        };
        let key_line = &doc.lines[k as usize];
        let (path, next) = self.map_value_under(doc, k as usize)?;
        let primary = self.values_origin(&path, None)?;
        Some(Mapped {
            primary: Origin {
                precision: Precision::Line,
                ..primary
            },
            related: vec![
                self.related(key_line, "the template's key line"),
                self.related(next, "the template line that emits the value"),
            ],
        })
    }

    /// The rendered `spec:` line of the pod template above `line`.
    fn pod_spec_line(&self, line: usize) -> Option<usize> {
        let doc = self.doc_of(line)?;
        (doc.first..line)
            .rev()
            .find(|&l| self.rendered_line(l) == "    spec:")
    }
}

impl SourceMap for HelmMap {
    fn map(&self, span: Span, _path: Option<&str>) -> Mapped {
        let line = self.rendered_lines.line_of(span.start);
        // A whole hostPath volume (a rule's label): its path is what the user sets.
        if self.rendered_lines.line_of(span.end.saturating_sub(1)) > line {
            if let Some(path) = self
                .item_field(line, "hostPath")
                .and_then(|h| self.child_line(h, "path"))
            {
                return self.map_line(path);
            }
        }
        self.map_line(line)
    }

    fn map_finding(&self, span: Span, path: Option<&str>, rule: &str) -> Mapped {
        let mut mapped = HelmMap::map_finding(self, span, path, rule);
        // One template line can be both the key and the `toYaml` that fills it: name it once.
        let mut seen = Vec::new();
        mapped.related.retain(|r| {
            let key = (r.origin.source, r.origin.span);
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
        mapped
    }
}

/// Whether a template line's action is the rendered line's value (not a name or a label).
fn value_like(t: &TLine, shown: &str) -> bool {
    t.key.is_some() && shown.contains(':')
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(s)
}

/// What a rendered line shows, in the form of [`HelmMap::block_tokens`]; `None` for a line
/// that is neither a key nor an item (a block scalar's text).
fn line_token(text: &str) -> Option<String> {
    let mut t = text.trim();
    let mut item = false;
    while let Some(rest) = t.strip_prefix("- ") {
        t = rest.trim_start();
        item = true;
    }
    if let Some(key) = t.strip_suffix(':') {
        return Some(unquote(key).to_string());
    }
    match t.split_once(": ") {
        Some((k, v)) => {
            let v = v.trim();
            if v == "|" || v == "|-" || v == ">" || v == ">-" || v == "{}" || v == "[]" {
                Some(unquote(k).to_string())
            } else {
                Some(format!("{}={}", unquote(k), unquote(v)))
            }
        }
        None if item => Some(unquote(t).to_string()),
        None => None,
    }
}

/// `a: b` and `a: "b"` and `a: 'b'` show the same thing.
fn same_yaml_line(values_line: &str, shown: &str) -> bool {
    let norm = |s: &str| -> String {
        let s = s.split(" #").next().unwrap_or(s).trim();
        match s.split_once(':') {
            Some((k, v)) => format!(
                "{}:{}",
                k.trim().trim_matches('"'),
                v.trim().trim_matches('"').trim_matches('\'')
            ),
            None => s.trim_matches('"').trim_matches('\'').to_string(),
        }
    };
    norm(values_line) == norm(shown)
}

fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|(_, c)| *c == '.' || *c == '[')
        .map(move |(i, _)| &path[..i])
}

fn join_path(base: &str, sub: &str) -> String {
    if sub.is_empty() {
        base.to_string()
    } else if sub.starts_with('[') {
        format!("{base}{sub}")
    } else {
        format!("{base}.{sub}")
    }
}

/// The path of rendered `line` inside the block that starts at rendered line `start`.
fn block_path(
    rendered: &str,
    index: &LineIndex,
    doc: &DocMap,
    start: usize,
    line: usize,
) -> Option<String> {
    let Assign::Block(b, _) = doc.assign[line - doc.first] else {
        return None;
    };
    let mut end = line + 1;
    while end < doc.end && doc.assign[end - doc.first] == Assign::Block(b, start as u32) {
        end += 1;
    }
    let from = index.line_start(start) as usize;
    let to = if end < index.line_count() {
        index.line_start(end) as usize
    } else {
        rendered.len()
    };
    let text = rendered.get(from..to)?;
    let target_start = index.line_start(line) as usize - from;
    let line_text = text[target_start..].lines().next().unwrap_or("");
    let indent = line_text.len() - line_text.trim_start().len();
    let mut target = target_start + indent;
    let mut item = false;
    while text[target..].starts_with("- ") {
        item = true;
        target += 2;
        while text[target..].starts_with(' ') {
            target += 1;
        }
    }
    let rest = text[target..].lines().next().unwrap_or("");
    // The key's span (`key: value`), or the scalar's (`- value`).
    let len = match rest
        .find(": ")
        .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))
    {
        Some(colon) => colon,
        None => rest.trim_end().len(),
    };
    let parsed = crate::yaml::documents(text, crate::yaml::Limits::default())
        .next()?
        .ok()?;
    let root = parsed.root()?;
    let path = root.path_to(Span::new(target, target + len))?;
    if item {
        // The item itself: `[n].key` → `[n]` (the innermost index written on this line).
        if let Some(i) = path.rfind(']') {
            return Some(path[..=i].to_string());
        }
    }
    Some(path)
}

fn collect_templates(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 6 {
        return;
    }
    let templates = dir.join("templates");
    walk(&templates, out, depth);
    if let Ok(entries) = std::fs::read_dir(dir.join("charts")) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect_templates(&p, out, depth + 1);
            }
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 12 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out, depth + 1);
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "tpl" || x == "txt")
        {
            out.push(p);
        }
    }
}

/// Split a template into logical lines: an action that spans lines belongs to its first line.
fn split_logical(text: &str) -> Logical {
    let mut lines = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (first, mut acc) = match pending.take() {
            Some((first, mut acc)) => {
                acc.push(' ');
                acc.push_str(raw.trim());
                (first, acc)
            }
            None => (n, raw.to_string()),
        };
        if acc.matches("{{").count() > acc.matches("}}").count() {
            pending = Some((first, acc));
            continue;
        }
        // Keep one entry per physical line so logical indices stay easy to read.
        lines.push((first, std::mem::take(&mut acc)));
    }
    if let Some(p) = pending {
        lines.push(p);
    }
    Logical { lines }
}

/// The actions of a line: (start, end, inner text without delimiters and trim markers).
fn actions(line: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = line[at..].find("{{") {
        let open = at + open;
        let Some(close) = line[open + 2..].find("}}") else {
            break;
        };
        let close = open + 2 + close + 2;
        let inner = line[open + 2..close - 2]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim()
            .to_string();
        out.push((open, close, inner));
        at = close;
    }
    out
}

fn keyword(inner: &str) -> Option<&str> {
    let word = inner.split_whitespace().next()?;
    match word {
        "if" | "with" | "range" | "else" | "end" | "define" | "block" => Some(word),
        _ if inner.starts_with("/*") => Some("comment"),
        _ if word.starts_with('$') && (inner.contains(":=") || inner.contains(" = ")) => {
            Some("assign")
        }
        _ => None,
    }
}

fn collect_defines(logical: &[Logical]) -> HashMap<String, Define> {
    let mut defines = HashMap::new();
    for (file, l) in logical.iter().enumerate() {
        let mut i = 0;
        while i < l.lines.len() {
            let acts = actions(&l.lines[i].1);
            let def = acts.iter().find_map(|(_, _, inner)| {
                inner
                    .strip_prefix("define ")
                    .map(|rest| rest.trim().trim_matches('"').to_string())
            });
            if let Some(name) = def {
                let end = block_end(l, i);
                defines.entry(name).or_insert(Define {
                    file,
                    from: i + 1,
                    to: end,
                });
                i = end + 1;
            } else {
                i += 1;
            }
        }
    }
    defines
}

/// The logical line of the `end` that closes the block opened on line `open`.
fn block_end(l: &Logical, open: usize) -> usize {
    let mut depth = 0i32;
    for (i, (_, text)) in l.lines.iter().enumerate().skip(open) {
        for (_, _, inner) in actions(text) {
            match keyword(&inner) {
                Some("if" | "with" | "range" | "define" | "block") => depth += 1,
                Some("end") => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
    }
    l.lines.len()
}

/// The `nindent N` / `indent N` of an action.
fn indent_arg(inner: &str) -> Option<usize> {
    let mut words = inner.split_whitespace();
    while let Some(w) = words.next() {
        if w == "nindent" || w == "indent" {
            return words.next()?.trim_end_matches(')').parse().ok();
        }
    }
    None
}

const BUILTIN_ROOTS: [&str; 6] = [
    ".Release",
    ".Chart",
    ".Capabilities",
    ".Template",
    ".Files",
    ".Values",
];

/// The values paths an action reads, given `.` and the variables.
fn value_refs(inner: &str, dot: &Dot, vars: &HashMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for token in
        inner.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '|' || c == ',')
    {
        if token.is_empty() || token.starts_with('"') {
            continue;
        }
        let path = if let Some(rest) = token.strip_prefix("$.Values.") {
            Some(rest.to_string())
        } else if let Some(rest) = token.strip_prefix(".Values.") {
            (*dot == Dot::Root).then(|| rest.to_string())
        } else if token == "." {
            match dot {
                Dot::Values(p) => Some(p.clone()),
                _ => None,
            }
        } else if token.starts_with('.') && !BUILTIN_ROOTS.iter().any(|r| token.starts_with(r)) {
            match dot {
                Dot::Values(p) => Some(format!("{p}{token}")),
                _ => None,
            }
        } else if token.starts_with('$') {
            let (var, rest) = token.split_once('.').map_or((token, ""), |(v, r)| (v, r));
            vars.get(var).map(|p| {
                if rest.is_empty() {
                    p.clone()
                } else {
                    format!("{p}.{rest}")
                }
            })
        } else {
            None
        };
        if let Some(p) = path.filter(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
        }) {
            out.push(p);
        }
    }
    out
}

/// The YAML key a template text line writes (`  - name: x` → `name`).
fn line_key(text: &str) -> Option<String> {
    let t = text.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
    let colon = t.find(':')?;
    let key = &t[..colon];
    (!key.is_empty()
        && !key.contains("{{")
        && !key.contains(' ')
        && (t.len() == colon + 1 || t[colon + 1..].starts_with(' ')))
    .then(|| key.trim_matches('"').to_string())
}

impl Expander<'_> {
    #[allow(clippy::too_many_arguments)]
    fn expand(
        &mut self,
        file: usize,
        from: usize,
        to: usize,
        shift: Option<usize>,
        dot: &mut Dot,
        frames: &mut Vec<Frame>,
        depth: usize,
    ) {
        let mut vars: HashMap<String, String> = HashMap::new();
        let l = &self.logical[file];
        let mut i = from;
        while i < to.min(l.lines.len()) {
            let (line_no, text) = (&l.lines[i].0, &l.lines[i].1);
            let line_no = *line_no;
            let acts = actions(text);
            let mut outside = String::new();
            let mut last = 0;
            for (s, e, _) in &acts {
                outside.push_str(&text[last..*s]);
                last = *e;
            }
            outside.push_str(&text[last..]);
            let guards: Vec<u32> = frames.iter().filter_map(|f| f.line).collect();
            let range_body = frames
                .iter()
                .rev()
                .find(|f| f.kind == Ctl::Range)
                .and_then(|f| f.line)
                .map(|l| l + 1);
            if outside.trim().is_empty() {
                for (s, _, inner) in &acts {
                    match keyword(inner) {
                        Some("define") => {
                            // A definition inside a rendered file: not output here.
                            i = block_end(l, i);
                            break;
                        }
                        Some("comment") => {}
                        Some("assign") => {
                            if let Some((var, expr)) =
                                inner.split_once(":=").or_else(|| inner.split_once(" = "))
                            {
                                let refs = value_refs(expr, dot, &vars);
                                if let Some(p) = refs.first() {
                                    vars.insert(var.trim().to_string(), p.clone());
                                }
                            }
                            // `set $dict "key" value`: a computed field, kept for the map.
                            if inner.contains(" set $") {
                                self.out.push(TLine {
                                    file,
                                    line: line_no,
                                    kind: TKind::Control(Ctl::Other),
                                    indent: None,
                                    pieces: Vec::new(),
                                    has_action: true,
                                    refs: Vec::new(),
                                    key: None,
                                    guards: guards.clone(),
                                    range_body: None,
                                });
                            }
                        }
                        Some(word) => {
                            let ctl = match word {
                                "if" => Ctl::If,
                                "with" => Ctl::With,
                                "range" => Ctl::Range,
                                "else" => Ctl::Else,
                                "end" => Ctl::End,
                                _ => Ctl::Other,
                            };
                            let expr = inner[word.len()..].trim();
                            let expr_refs = if ctl == Ctl::Range {
                                // `range $i, $v := .Values.x`
                                let (vars_part, source) =
                                    expr.split_once(":=").map_or(("", expr), |(a, b)| (a, b));
                                let refs = value_refs(source, dot, &vars);
                                if let (Some(p), Some(v)) =
                                    (refs.first(), vars_part.split(',').next_back())
                                {
                                    let v = v.trim();
                                    if !v.is_empty() {
                                        vars.insert(v.to_string(), format!("{p}[]"));
                                    }
                                }
                                refs
                            } else {
                                value_refs(expr, dot, &vars)
                            };
                            let idx = self.out.len() as u32;
                            self.out.push(TLine {
                                file,
                                line: line_no,
                                kind: TKind::Control(ctl),
                                indent: None,
                                pieces: Vec::new(),
                                has_action: true,
                                refs: expr_refs.clone(),
                                key: None,
                                guards: guards.clone(),
                                range_body: None,
                            });
                            match ctl {
                                Ctl::If | Ctl::With | Ctl::Range => {
                                    let saved = dot.clone();
                                    if ctl == Ctl::With || ctl == Ctl::Range {
                                        *dot = match expr_refs.first() {
                                            Some(p) if ctl == Ctl::Range => {
                                                Dot::Values(format!("{p}[]"))
                                            }
                                            Some(p) => Dot::Values(p.clone()),
                                            None => Dot::Unknown,
                                        };
                                    }
                                    frames.push(Frame {
                                        line: Some(idx),
                                        kind: ctl,
                                        saved_dot: saved,
                                    });
                                }
                                Ctl::Else => {
                                    if let Some(f) = frames.last_mut() {
                                        *dot = f.saved_dot.clone();
                                        f.line = Some(idx);
                                        if f.kind == Ctl::With || f.kind == Ctl::Range {
                                            f.kind = Ctl::If;
                                        }
                                    }
                                }
                                Ctl::End => {
                                    if let Some(f) = frames.pop() {
                                        *dot = f.saved_dot;
                                    }
                                }
                                _ => {}
                            }
                        }
                        None => {
                            let lead = text[..*s].len() - text[..*s].trim_start().len();
                            let line_shift = shift.map(|sh| {
                                sh + indent_arg(inner).unwrap_or(if text[*s..].starts_with("{{-") {
                                    0
                                } else {
                                    lead
                                })
                            });
                            self.output_action(
                                file, line_no, inner, line_shift, dot, &vars, frames, &guards,
                                range_body, depth,
                            );
                        }
                    }
                }
            } else {
                let indent = text.len() - text.trim_start().len();
                let mut pieces = Vec::new();
                let mut last = 0;
                let mut refs = Vec::new();
                let mut trailing_block = None;
                for (s, e, inner) in &acts {
                    let piece = text[last..*s].trim();
                    if !piece.is_empty() {
                        pieces.push(piece.to_string());
                    } else if pieces.is_empty() {
                        pieces.push(String::new());
                    }
                    last = *e;
                    if keyword(inner).is_none() {
                        refs.extend(value_refs(inner, dot, &vars));
                        if text[*e..].trim().is_empty()
                            && (inner.contains("nindent") || inner.contains("toYaml"))
                        {
                            trailing_block = Some(inner.clone());
                        }
                    }
                }
                let tail = text[last..].trim();
                pieces.push(tail.to_string());
                if trailing_block.is_some() {
                    refs.clear();
                }
                self.out.push(TLine {
                    file,
                    line: line_no,
                    kind: TKind::Text,
                    indent: shift.map(|s| s + indent),
                    pieces,
                    has_action: !acts.is_empty(),
                    refs,
                    key: line_key(&outside),
                    guards: guards.clone(),
                    range_body,
                });
                if let Some(inner) = trailing_block {
                    let line_shift = shift.map(|sh| sh + indent_arg(&inner).unwrap_or(indent + 2));
                    self.output_action(
                        file, line_no, &inner, line_shift, dot, &vars, frames, &guards, range_body,
                        depth,
                    );
                }
            }
            i += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn output_action(
        &mut self,
        file: usize,
        line_no: usize,
        inner: &str,
        shift: Option<usize>,
        dot: &Dot,
        vars: &HashMap<String, String>,
        frames: &[Frame],
        guards: &[u32],
        range_body: Option<u32>,
        depth: usize,
    ) {
        let words: Vec<&str> = inner.split_whitespace().collect();
        let include = words
            .iter()
            .position(|w| *w == "include" || *w == "template")
            .and_then(|i| words.get(i + 1))
            .map(|n| n.trim_matches('"'));
        let def = include
            .filter(|_| {
                depth < 8
                    && self.out.len() < MAX_EXPANDED
                    && !inner.contains("fromYaml")
                    && !inner.contains("toYaml")
            })
            .and_then(|name| self.defines.get(name).copied().map(|d| (name, d)));
        if let Some((name, def)) = def {
            let arg_text = inner
                .split_once(&format!("\"{name}\""))
                .map_or("", |(_, rest)| rest)
                .split('|')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let arg = arg_text.split_whitespace().next().unwrap_or("");
            // `(deepCopy $ | mustMerge $args)`, `(merge (dict ...) .)`: the root with extras.
            let root_like = arg_text.starts_with("(deepCopy $")
                || arg_text.starts_with("(deepCopy .")
                || ((arg_text.starts_with("(merge") || arg_text.starts_with("(mustMerge"))
                    && (arg_text.ends_with(" $)") || arg_text.ends_with(" .)")));
            let mut inner_dot = match arg {
                _ if root_like => {
                    if *dot == Dot::Root || arg_text.contains('$') {
                        Dot::Root
                    } else {
                        Dot::Unknown
                    }
                }
                "." => dot.clone(),
                "$" => Dot::Root,
                a if a.starts_with(".Values.") && *dot == Dot::Root => {
                    Dot::Values(a[".Values.".len()..].to_string())
                }
                a if a.starts_with("$.Values.") => Dot::Values(a["$.Values.".len()..].to_string()),
                _ => Dot::Unknown,
            };
            let mut inner_frames: Vec<Frame> = frames
                .iter()
                .map(|f| Frame {
                    line: f.line,
                    kind: Ctl::Other,
                    saved_dot: f.saved_dot.clone(),
                })
                .collect();
            let base = inner_frames.len();
            let _ = vars;
            self.expand(
                def.file,
                def.from,
                def.to,
                shift,
                &mut inner_dot,
                &mut inner_frames,
                depth + 1,
            );
            inner_frames.truncate(base);
            return;
        }
        let refs = if include.is_some() {
            Vec::new()
        } else {
            value_refs(inner, dot, vars)
        };
        self.out.push(TLine {
            file,
            line: line_no,
            kind: TKind::Block,
            indent: shift,
            pieces: Vec::new(),
            has_action: true,
            refs,
            key: None,
            guards: guards.to_vec(),
            range_body,
        });
    }
}

/// Whether a rendered line (without indentation) matches a text line's pieces.
fn matches_pieces(line: &str, pieces: &[String]) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return line.is_empty();
    };
    if pieces.len() == 1 {
        return line == first;
    }
    let Some(mut at) = line
        .strip_prefix(first.as_str())
        .map(|r| line.len() - r.len())
    else {
        return false;
    };
    let (last, middle) = rest.split_last().expect("two pieces or more");
    for piece in middle {
        match line[at..].find(piece.as_str()) {
            Some(p) => at += p + piece.len(),
            None => return false,
        }
    }
    line.len() >= at + last.len() && line[at..].ends_with(last.as_str())
}

/// Align a document's rendered lines to the expanded template (see the module comment).
fn align(
    rendered: &[&str],
    lines: &[TLine],
    offset: usize,
    tokens: &[Option<std::collections::HashSet<String>>],
    dead: &[bool],
) -> Vec<Assign> {
    const SKIP_RENDERED: i32 = -4;
    const ABSORB_KNOWN: i32 = 5;
    let n = rendered.len();
    let m = lines.len();
    // A document too big to align (a ConfigMap of dashboards against a large template) maps to
    // its template file: honest, and bounded in memory and time.
    if m == 0 || n == 0 || (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        return vec![Assign::None; n];
    }
    let width = m + 1;
    let mut score = vec![i32::MIN; (n + 1) * width];
    // Backpointer: (kind, previous j). kind 0 none, 1 skip template, 2 absorb, 3 match, 4 skip rendered.
    let mut back: Vec<(u8, u32)> = vec![(0, 0); (n + 1) * width];
    score[0] = 0;
    let shown: Vec<(usize, &str)> = rendered
        .iter()
        .map(|l| (l.len() - l.trim_start().len(), l.trim()))
        .collect();
    let shown_tokens: Vec<Option<String>> = rendered.iter().map(|l| line_token(l)).collect();
    // A block absorbs a line that its value shows (scored like a match), or any line when its
    // value is unknown (scored nothing).
    let fits = |j: usize, i: usize| match (&tokens[j], &shown_tokens[i]) {
        (Some(set), Some(token)) => set.contains(token).then_some(ABSORB_KNOWN),
        (Some(_), None) | (None, _) => Some(0),
    };
    let match_score: Vec<i32> = lines
        .iter()
        .map(|t| {
            let literal: usize = t
                .pieces
                .iter()
                .map(|p| p.trim_start_matches('-').trim().len())
                .sum();
            if literal < 2 {
                1
            } else {
                6 + literal.min(24) as i32
            }
        })
        .collect();
    for i in 0..=n {
        for j in 0..=m {
            let here = score[i * width + j];
            if here == i32::MIN {
                continue;
            }
            let mut relax = |ni: usize, nj: usize, s: i32, kind: u8, score: &mut Vec<i32>| {
                let cell = ni * width + nj;
                if s > score[cell] {
                    score[cell] = s;
                    back[cell] = (kind, j as u32);
                }
            };
            if j < m {
                relax(i, j + 1, here, 1, &mut score);
                let t = &lines[j];
                if i < n && !dead[j] {
                    let (indent, text) = shown[i];
                    match t.kind {
                        TKind::Block
                            if t.indent.is_none_or(|b| indent >= b) && !text.is_empty() =>
                        {
                            if let Some(gain) = fits(j, i) {
                                relax(i + 1, j, here + gain, 2, &mut score);
                            }
                        }
                        TKind::Text
                            if t.indent.is_none_or(|b| b == indent)
                                && matches_pieces(text, &t.pieces) =>
                        {
                            relax(i + 1, j + 1, here + match_score[j], 3, &mut score);
                            if let Some(body) = t.range_body {
                                let body = body as usize;
                                if body <= j {
                                    relax(i + 1, body, here + match_score[j], 3, &mut score);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            if i < n {
                relax(i + 1, j, here + SKIP_RENDERED, 4, &mut score);
            }
        }
    }
    // Walk back from the best end.
    let mut assign = vec![Assign::None; n];
    let (mut i, mut j) = (n, m);
    let mut block_end: Option<(usize, usize)> = None; // (j of block, rendered line)
    let mut block_lines: Vec<(usize, usize)> = Vec::new();
    while i > 0 || j > 0 {
        let (kind, pj) = back[i * width + j];
        let pj = pj as usize;
        match kind {
            1 => {
                j = pj;
            }
            2 => {
                block_lines.push((i - 1, pj));
                i -= 1;
                j = pj;
            }
            3 => {
                assign[i - 1] = Assign::Text(pj as u32);
                i -= 1;
                j = pj;
            }
            4 => {
                i -= 1;
                j = pj;
            }
            _ => break,
        }
    }
    let _ = &mut block_end;
    // Blocks: each run of consecutive lines absorbed by one block starts at its first line.
    block_lines.sort_unstable();
    let mut run_start = 0;
    for (k, &(line, b)) in block_lines.iter().enumerate() {
        if k == 0 || block_lines[k - 1].1 != b || block_lines[k - 1].0 + 1 != line {
            run_start = line;
        }
        assign[line] = Assign::Block(b as u32, (run_start + offset) as u32);
    }
    assign
}

/// Every path of a values file (`a.b[0].c`) to its node.
fn flatten_values(text: &str, index: &LineIndex) -> HashMap<String, ValueNode> {
    let mut out = HashMap::new();
    let Some(Ok(doc)) = crate::yaml::documents(text, crate::yaml::Limits::default()).next() else {
        return out;
    };
    let Some(root) = doc.root() else { return out };
    fn walk_node(
        node: crate::yaml::Node<'_>,
        path: &str,
        line: usize,
        index: &LineIndex,
        out: &mut HashMap<String, ValueNode>,
    ) {
        let kind = if node.is_null() {
            ValueKind::Null
        } else if node.is_mapping() {
            if node.entries().is_empty() {
                ValueKind::EmptyMap
            } else {
                ValueKind::Map
            }
        } else if node.is_sequence() {
            if node.item_count() == 0 {
                ValueKind::EmptySeq
            } else {
                ValueKind::Seq
            }
        } else {
            ValueKind::Scalar
        };
        if !path.is_empty() {
            out.insert(
                path.to_string(),
                ValueNode {
                    line,
                    kind,
                    scalar: node.scalar_text().map(str::to_string),
                },
            );
        }
        if node.is_mapping() {
            for (k, v) in node.entries() {
                let Some(key) = k.scalar_text() else { continue };
                let child = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                let line = index.line_of(k.span().start);
                walk_node(v, &child, line, index, out);
            }
        } else if node.is_sequence() {
            for (n, item) in node.items().enumerate() {
                let line = index.line_of(item.span().start);
                walk_node(item, &format!("{path}[{n}]"), line, index, out);
            }
        }
    }
    walk_node(root, "", 0, index, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chart on disk (templates and values) with a hand-written rendering, so the map is
    /// tested without helm.
    struct Chart(PathBuf);

    impl Chart {
        fn new(tag: &str, files: &[(&str, &str)]) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!(
                "daemonlint-helm-map-{tag}-{}-{nanos}",
                std::process::id()
            ));
            for (path, text) in files {
                let path = dir.join(path);
                std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
                std::fs::write(path, text).expect("write");
            }
            Self(dir)
        }
    }

    impl Drop for Chart {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const TEMPLATE: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      hostNetwork: {{ .Values.hostNetwork }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: agent
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
";

    const VALUES: &str = "\
hostNetwork: false
tolerations:
  - operator: Exists
resources:
  limits:
    memory: 64Mi
";

    /// (file name, 1-based line, precision) of a mapping.
    fn place(sources: &Sources, origin: Origin) -> (String, u32, Precision) {
        let entry = sources.get(origin.source);
        let name = entry.name.rsplit('/').next().unwrap_or("").to_string();
        (
            name,
            entry.line_col(origin.span.start).line,
            origin.precision,
        )
    }

    fn span_of(rendered: &str, needle: &str) -> Span {
        let at = rendered.find(needle).expect("in the rendering");
        let indent = needle.len() - needle.trim_start().len();
        Span::new(at + indent, at + needle.len())
    }

    #[test]
    fn helm_merge_rules_decide_which_values_line_set_a_value() {
        let chart = Chart::new(
            "merge",
            &[
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: agent\nversion: 0.1.0\n",
                ),
                ("templates/ds.yaml", TEMPLATE),
                ("values.yaml", VALUES),
                // Maps merge (`resources: {}` keeps the chart's limits), lists replace.
                (
                    "user.yaml",
                    "hostNetwork: true\nresources: {}\ntolerations: []\n",
                ),
            ],
        );
        let rendered = "\
---
# Source: agent/templates/ds.yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: rel
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: agent
          resources:
            limits:
              memory: 64Mi
";
        let sources = Sources::new();
        let values = [chart.0.join("values.yaml"), chart.0.join("user.yaml")];
        let map = HelmMap::build(&chart.0, rendered, &values, &sources);
        // The user's `hostNetwork: true` (a later file wins), the template line as related.
        let got = map.map_finding(
            span_of(rendered, "      hostNetwork: true"),
            Some("spec.template.spec.hostNetwork"),
            "host-network",
        );
        assert_eq!(
            place(&sources, got.primary),
            ("user.yaml".into(), 1, Precision::Exact)
        );
        assert_eq!(
            place(&sources, got.related[0].origin),
            ("ds.yaml".into(), 8, Precision::Line)
        );
        // `memory: 64Mi` still comes from the chart: the user's `resources: {}` merged away.
        let got = map.map(span_of(rendered, "              memory: 64Mi"), None);
        assert_eq!(
            place(&sources, got.primary),
            ("values.yaml".into(), 6, Precision::Exact)
        );
        // Tolerations are absent because the user's `tolerations: []` replaced the list.
        let got = map.map_finding(
            span_of(rendered, "    spec:\n      host"),
            Some("spec.template.spec"),
            "missing-control-plane-toleration",
        );
        assert_eq!(
            place(&sources, got.primary),
            ("user.yaml".into(), 3, Precision::Exact)
        );
        let related: Vec<u32> = got
            .related
            .iter()
            .map(|r| place(&sources, r.origin).1)
            .collect();
        assert_eq!(related, [9, 10]);
        // The limits without cpu: the chart's `limits:` line, as the place to add it.
        let got = map.map_finding(
            span_of(rendered, "          resources:"),
            Some("spec.template.spec.containers[0].resources"),
            "missing-resource-limits",
        );
        assert_eq!(
            place(&sources, got.primary),
            ("values.yaml".into(), 5, Precision::Line)
        );
    }

    #[test]
    fn null_deletes_a_chart_default() {
        let chart = Chart::new(
            "null",
            &[
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: agent\nversion: 0.1.0\n",
                ),
                ("templates/ds.yaml", TEMPLATE),
                ("values.yaml", VALUES),
                ("user.yaml", "resources: null\n"),
            ],
        );
        let rendered = "\
---
# Source: agent/templates/ds.yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: rel
spec:
  template:
    spec:
      hostNetwork: false
      tolerations:
        - operator: Exists
      containers:
        - name: agent
";
        let sources = Sources::new();
        let values = [chart.0.join("values.yaml"), chart.0.join("user.yaml")];
        let map = HelmMap::build(&chart.0, rendered, &values, &sources);
        let got = map.map_finding(
            span_of(rendered, "        - name: agent"),
            Some("spec.template.spec.containers[0].name"),
            "missing-resource-requests",
        );
        assert_eq!(
            place(&sources, got.primary),
            ("user.yaml".into(), 1, Precision::Exact)
        );
        let related: Vec<u32> = got
            .related
            .iter()
            .map(|r| place(&sources, r.origin).1)
            .collect();
        assert_eq!(related, [15, 16]);
        // The toleration item comes from the chart's list.
        let got = map.map(span_of(rendered, "        - operator: Exists"), None);
        assert_eq!(
            place(&sources, got.primary),
            ("values.yaml".into(), 3, Precision::Exact)
        );
        // A literal line maps to itself, exactly.
        let got = map.map(span_of(rendered, "        - name: agent"), None);
        assert_eq!(
            place(&sources, got.primary),
            ("ds.yaml".into(), 14, Precision::Exact)
        );
        let at = map
            .rendered_at(span_of(rendered, "        - name: agent"))
            .expect("inside");
        assert_eq!(at.template, "agent/templates/ds.yaml");
        assert_eq!((at.document, at.line), (0, 14));
        // Outside every document: the chart, as a file.
        let got = map.map(Span::new(0, 3), None);
        assert_eq!(got.primary.precision, Precision::File);
    }

    #[test]
    fn hostile_templates_do_not_hang_or_panic() {
        let chart = Chart::new(
            "hostile",
            &[
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: agent\nversion: 0.1.0\n",
                ),
                (
                    "templates/_h.tpl",
                    "{{- define \"a\" }}\n{{ include \"a\" . }}\n{{ include \"a\" . }}\n\
                     {{ include \"a\" . }}\n{{ include \"a\" . }}\nx: é\n{{- end }}\n",
                ),
                (
                    "templates/ds.yaml",
                    "{{- end }}\n{{ include \"a\" . }}\nkey: {{ .Values.x\n- é: {{ $.Values.\n{{",
                ),
                ("values.yaml", "x: [\n"),
            ],
        );
        let rendered = "---\n# Source: agent/templates/ds.yaml\nx: é\n- é: ü\n  - - - x\n";
        let sources = Sources::new();
        let map = HelmMap::build(&chart.0, rendered, &[chart.0.join("values.yaml")], &sources);
        for start in 0..=rendered.len() + 2 {
            for path in [None, Some("spec.template.spec"), Some("a.name")] {
                for rule in [
                    "run-as-root",
                    "missing-priority-class",
                    "writable-host-path",
                ] {
                    let _ = map.map_finding(Span::new(start, start + 3), path, rule);
                }
            }
            let _ = map.map(Span::new(start, rendered.len() + 9), None);
            let _ = map.rendered_at(Span::new(start, start));
        }
    }

    #[test]
    fn patterns_and_tokens() {
        assert!(matches_pieces(
            "name: rel-agent",
            &["name:".into(), "-agent".into()]
        ));
        assert!(!matches_pieces(
            "image: x",
            &["name:".into(), String::new()]
        ));
        assert!(matches_pieces("- a", &["- a".into()]));
        assert_eq!(
            line_token("  - mountPath: \"/var/log\"").as_deref(),
            Some("mountPath=/var/log")
        );
        assert_eq!(line_token("    hostPath:").as_deref(), Some("hostPath"));
        assert_eq!(
            line_token("  - /run/x.sock").as_deref(),
            Some("/run/x.sock")
        );
        assert_eq!(line_token("    some text"), None);
        assert_eq!(indent_arg("toYaml . | nindent 12"), Some(12));
        assert_eq!(
            value_refs(
                "toYaml .Values.a.b | nindent 4",
                &Dot::Root,
                &HashMap::new()
            ),
            ["a.b"]
        );
        assert_eq!(
            value_refs(
                "toYaml . | nindent 4",
                &Dot::Values("x".into()),
                &HashMap::new()
            ),
            ["x"]
        );
    }
}
