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
    for d in diagnostics {
        let (origin, d) = remap_one(d, derived, rendered.as_ref(), &mut labelled);
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
        let path = Path::new(&name);
        let report = FileReport::findings(SourceFile::new(name.clone(), text), diagnostics)
            .at(path.is_file().then(|| path.to_path_buf()));
        out.push(report);
    }
    out
}

fn remap_one(
    mut d: Diagnostic,
    derived: &Derived,
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
    d.fix = d.fix.take().and_then(|fix| exact_fix(fix, map, primary));
    d.span = primary.span;
    d.mapping = Some(Box::new(Mapping {
        precision: primary.precision,
        rendered: rendered.cloned(),
    }));
    (primary.source, d)
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
