//! The remap stage: findings made on a derived text (a rendered chart, a built overlay) are
//! moved to the files the user edits, through the text's [`SourceMap`].
//!
//! Each finding's span and the spans of its labels are mapped; what the map adds
//! ([`crate::source_map::Mapped::related`]) becomes labels; the finding records how sure its
//! place is ([`Precision`]). A fix survives only when the finding and every edit map
//! [`Precision::Exact`] into one file: a fix is never applied through a guess.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Fix, Label, Mapping};
use crate::outcome::FileReport;
use crate::render::RenderInfo;
use crate::source::SourceFile;
use crate::source_map::{Origin, Precision, SourceId, SourceMap, Sources};

/// A derived text to lint, with its map back to its origins.
#[derive(Clone, Debug)]
pub struct Derived {
    /// The derived text's name (shown only where no origin can be named).
    pub name: String,
    pub text: String,
    /// From spans of `text` to places in the run's sources
    /// ([`crate::session::Inputs::sources`]: the map's origins are ids of that table).
    pub map: Arc<dyn SourceMap>,
    /// How the text was produced (the JSON `rendered` object of its findings).
    pub render: Option<RenderInfo>,
    /// The path whose configuration applies (the chart's or overlay's directory).
    pub settings_path: Option<PathBuf>,
}

/// The reports `report` (of `derived`'s text) becomes: one for the derived text itself,
/// which keeps the counts and the objects linted and no finding, then one per origin file
/// holding the findings mapped into it (in the order their files first appear), then one
/// without findings for each other file a label points into (so it is listed among the run's
/// files). `sources` is the run's table, which the map's origins are ids of: labels keep those
/// ids, and emitters resolve them through it.
#[must_use]
pub fn remap(report: FileReport, derived: &Derived, sources: &Sources) -> Vec<FileReport> {
    let FileReport {
        source,
        diagnostics,
        stats,
        daemonsets,
        io_error,
        path,
    } = report;
    let rendered = derived
        .render
        .as_ref()
        .and_then(|r| serde_json::to_value(r).ok())
        .map(Arc::new);
    let mut out = Vec::new();
    if stats.files > 0 || io_error || !daemonsets.is_empty() {
        let mut own = FileReport::new(source).at(path);
        own.stats = stats;
        own.daemonsets = daemonsets;
        own.io_error = io_error;
        out.push(own);
    }
    let mut by_origin: Vec<(SourceId, Vec<Diagnostic>)> = Vec::new();
    let mut labelled: Vec<SourceId> = Vec::new();
    let index = crate::source::LineIndex::new(&derived.text);
    for d in diagnostics {
        let rendered = rendered
            .as_ref()
            .map(|info| rendered_at(info, &derived.text, &index, &d));
        let (origin, d) = remap_one(d, derived, sources, rendered.as_ref(), &mut labelled);
        match by_origin.iter_mut().find(|(id, _)| *id == origin) {
            Some((_, found)) => found.push(d),
            None => by_origin.push((origin, vec![d])),
        }
    }
    for id in labelled {
        if !by_origin.iter().any(|(origin, _)| *origin == id) {
            by_origin.push((id, Vec::new()));
        }
    }
    for (id, mut diagnostics) in by_origin {
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        // An origin the table does not know (a map built against another table) keeps its
        // findings under the derived text's name, unpositioned, rather than panic.
        let (name, text) = sources.try_get(id).map_or_else(
            || (derived.name.clone(), String::new()),
            |entry| (entry.name.clone(), entry.text.to_string()),
        );
        suppress_by_comments(&text, &mut diagnostics);
        let path = Path::new(&name);
        let report = FileReport::findings(SourceFile::new(name.clone(), text), diagnostics)
            .at(path.is_file().then(|| path.to_path_buf()));
        out.push(report);
    }
    out
}

/// The `rendered` object of one finding: how the text was produced, plus where in it the
/// finding was made (the 0-based document, the 1-based line of the rendered text and, for a
/// chart, the template helm names in the document's `# Source:` comment), so that a user can
/// find it again in `helm template` or `kubectl kustomize` output.
fn rendered_at(
    info: &Arc<serde_json::Value>,
    text: &str,
    index: &crate::source::LineIndex,
    d: &Diagnostic,
) -> Arc<serde_json::Value> {
    let mut value = (**info).clone();
    if let serde_json::Value::Object(map) = &mut value {
        let start = (d.span.start as usize).min(text.len());
        let line = index.line_col(text, d.span.start).line;
        let document_start = text[..start].rfind("\n---").map_or(0, |at| at + 1);
        let template = text[document_start..start]
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(str::trim);
        if let Some(template) = template {
            map.insert("template".into(), template.into());
        }
        map.insert("document".into(), d.document.into());
        map.insert("line".into(), line.into());
    }
    Arc::new(value)
}

fn remap_one(
    mut d: Diagnostic,
    derived: &Derived,
    sources: &Sources,
    rendered: Option<&Arc<serde_json::Value>>,
    labelled: &mut Vec<SourceId>,
) -> (SourceId, Diagnostic) {
    let map = &*derived.map;
    let mapped = map.map_finding(d.span, d.path.as_deref(), &d.rule);
    let primary = mapped.primary;
    let mut name_of = |id: SourceId| {
        if !labelled.contains(&id) {
            labelled.push(id);
        }
        id
    };
    // Labels in the derived text follow it; labels in other files of the run stay.
    for label in d.labels.iter_mut().filter(|l| l.file.is_none()) {
        let at = map.map(label.span, None).primary;
        label.span = at.span;
        if at.source != primary.source {
            label.file = Some(name_of(at.source));
        }
    }
    for related in mapped.related {
        let mut label = Label::new(related.origin.span, related.message);
        if related.origin.source != primary.source {
            label.file = Some(name_of(related.origin.source));
        }
        d.labels.push(label);
    }
    // A chart's fix edits a values file only, never a template.
    let editable = derived.render.as_ref().is_none_or(|info| {
        info.kind != crate::render::RenderKind::Helm
            || info.values.contains(&sources.get(primary.source).name)
    });
    d.fix = d
        .fix
        .take()
        .filter(|_| editable)
        .and_then(|fix| exact_fix(fix, map, primary));
    d.span = primary.span;
    d.mapping = Some(Box::new(Mapping {
        precision: primary.precision,
        rendered: rendered.cloned(),
    }));
    (primary.source, d)
}

/// Move a finding of a part of its own file (a window of a large file) to the file's offsets
/// through `map`: its span, its labels in that file and its fix's edits. A fix survives only
/// where every edit maps exactly, as in [`remap`]; the finding records no precision, since
/// it stays in the file it was made in.
pub(crate) fn within(d: &mut Diagnostic, map: &dyn SourceMap) {
    let primary = map.map(d.span, d.path.as_deref()).primary;
    d.span = primary.span;
    for label in d.labels.iter_mut().filter(|l| l.file.is_none()) {
        label.span = map.map(label.span, None).primary.span;
    }
    d.fix = d.fix.take().and_then(|fix| exact_fix(fix, map, primary));
}

/// `fix` with its edits in the origin file, when the finding and every edit map exactly there.
fn exact_fix(mut fix: Fix, map: &dyn SourceMap, primary: Origin) -> Option<Fix> {
    if primary.precision != Precision::Exact {
        return None;
    }
    for edit in &mut fix.edits {
        let at = map.map(edit.span, None).primary;
        if at.precision != Precision::Exact || at.source != primary.source {
            return None;
        }
        edit.span = at.span;
    }
    Some(fix)
}

/// Apply the `# daemonlint: ignore[rule] reason` comments of an origin file (a template, a
/// values file, a base, a patch) to the findings mapped into it. The origin need not be YAML
/// (a template): comments are found line by line.
fn suppress_by_comments(text: &str, diagnostics: &mut [Diagnostic]) {
    if diagnostics.is_empty() || !text.contains("daemonlint:") {
        return;
    }
    let mut comments = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let mut from = 0;
        while let Some(i) = line[from..].find('#') {
            let hash = from + i;
            let body = &line[hash + 1..];
            let body = body.strip_suffix('\n').unwrap_or(body);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let before_ok = hash == 0 || line[..hash].ends_with([' ', '\t']);
            if before_ok && body.trim_start().starts_with("daemonlint:") {
                let start = at + hash;
                comments.push(crate::yaml::Comment {
                    span: crate::source::Span::new(start, start + 1 + body.len()),
                    text: std::borrow::Cow::Borrowed(body),
                });
                break;
            }
            from = hash + 1;
        }
        at += line.len();
    }
    if comments.is_empty() {
        return;
    }
    let mut suppressions = crate::suppress::Suppressions::default();
    suppressions.add_comments(text, &comments);
    suppressions.apply(diagnostics);
}

/// A rendering's name in messages: its value set, else its entry.
fn rendering_name(derived: &Derived) -> String {
    match &derived.render {
        Some(info) => match &info.set {
            Some(set) => format!("{} [{set}]", info.entry),
            None => info.entry.clone(),
        },
        None => derived.name.clone(),
    }
}

/// The reports of several derived texts, merged: one report per file, and a finding that
/// several renderings (value sets of a chart, overlays sharing a base) map to the same place
/// reported once, naming them (the JSON `rendered.renderings`, and the message). A finding
/// mapped only to a file is never merged.
#[must_use]
pub fn merge_renderings(renderings: Vec<(&Derived, Vec<FileReport>)>) -> Vec<FileReport> {
    type Key = (String, String, u32, u32, String);
    let mut out: Vec<FileReport> = Vec::new();
    // key -> (file index, diagnostic index, renderings)
    let mut seen: std::collections::HashMap<Key, (usize, usize, Vec<String>)> =
        std::collections::HashMap::new();
    for (derived, reports) in renderings {
        let name = rendering_name(derived);
        for mut report in reports {
            let diagnostics = std::mem::take(&mut report.diagnostics);
            let at = if let Some(i) = out.iter().position(|f| f.source.name == report.source.name) {
                let f = &mut out[i];
                f.stats.files = f.stats.files.max(report.stats.files);
                f.daemonsets.append(&mut report.daemonsets);
                f.io_error |= report.io_error;
                i
            } else {
                out.push(report);
                out.len() - 1
            };
            for d in diagnostics {
                let mergeable = d
                    .mapping
                    .as_ref()
                    .is_some_and(|m| m.precision != Precision::File);
                if mergeable {
                    let key = (
                        d.rule.to_string(),
                        out[at].source.name.clone(),
                        d.span.start,
                        d.span.end,
                        d.message.clone(),
                    );
                    if let Some((_, _, names)) = seen.get_mut(&key) {
                        if !names.contains(&name) {
                            names.push(name.clone());
                        }
                        continue;
                    }
                    let di = out[at].diagnostics.len();
                    seen.insert(key, (at, di, vec![name.clone()]));
                }
                out[at].diagnostics.push(d);
            }
        }
    }
    for (fi, di, names) in seen.into_values() {
        if names.len() < 2 {
            continue;
        }
        let d = &mut out[fi].diagnostics[di];
        d.message = format!(
            "{} (in {} renderings: {})",
            d.message,
            names.len(),
            names.join(", ")
        );
        if let Some(mapping) = d.mapping.as_mut() {
            if let Some(rendered) = &mapping.rendered {
                let mut value = (**rendered).clone();
                if let Some(object) = value.as_object_mut() {
                    object.insert("renderings".into(), serde_json::json!(names));
                }
                mapping.rendered = Some(Arc::new(value));
            }
        }
    }
    out
}
