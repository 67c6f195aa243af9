//! One file's way through the pipeline: read and decode, split into documents (in parallel for
//! a large file), load, check (schema, rules, policies), suppress, and index the objects for
//! the run-level checks. The [`crate::session::Linter`] drives it; nothing here prints.

use std::path::Path;

use crate::cross;
use crate::diagnostic::{Diagnostic, ObjectRef};
use crate::discover;
use crate::k8s::scheduling::Cluster;
use crate::manifest::{self, DaemonSet};
use crate::outcome::{FileReport, Report, Stats};
use crate::policy;
use crate::rules;
use crate::schema;
use crate::settings::Settings;
use crate::source::{self, SourceFile, Span};
use crate::suppress;
use crate::suppress_stage::{self, Tally};
use crate::yaml;

/// What every file of a run shares besides its settings: the policies (loaded once per
/// linter), the nodes of `--nodes`, whether the index keeps what `daemonlint inventory`
/// shows, and the run's suppression tally. The [`crate::session::Linter`] owns the first
/// three; each run has its own tally.
#[derive(Clone, Copy)]
pub(crate) struct Shared<'a> {
    pub policies: &'a policy::Cache,
    pub cluster: Option<&'a Cluster>,
    pub inventory: bool,
    pub tally: &'a Tally,
}

/// What the checks of one file read: its settings, its compiled policies, the run's shares.
#[derive(Clone, Copy)]
pub(crate) struct Checks<'a> {
    pub settings: &'a Settings,
    pub policies: &'a policy::PolicySet,
    pub shared: Shared<'a>,
}

pub(crate) fn engine_diagnostic(
    meta: &rules::RuleMeta,
    span: Span,
    document: usize,
    message: String,
) -> Diagnostic {
    let mut d = Diagnostic::new(meta.id, meta.default_severity, span, message);
    d.document = document;
    d
}

/// Run the run-level checks of one file over its own objects.
pub(crate) fn with_run_level(
    report: FileReport,
    index: &cross::FileIndex,
    settings: &Settings,
    tally: &Tally,
) -> FileReport {
    let mut files = [report];
    let name = files[0].source.name.clone();
    cross::check(
        &mut files,
        &[cross::Indexed {
            file: Some(0),
            name: &name,
            source: None,
            index,
            shared: false,
            rendering: None,
        }],
        &|_| crate::settings::SettingsRef::Borrowed(settings),
        &stage(tally),
    );
    let [report] = files;
    report
}

/// The suppression stage the run-level checks apply to their findings, recording in `tally`.
pub(crate) fn stage(tally: &Tally) -> impl Fn(&Settings, &str, &mut [Diagnostic]) + '_ {
    move |settings, name, found| suppress_stage::apply(settings, tally, name, &[], found)
}

/// Lint one in-memory source and index its objects for the run-level checks.
#[must_use]
pub(crate) fn lint_source_indexed(
    source: SourceFile,
    settings: &Settings,
    shared: Shared<'_>,
) -> (FileReport, cross::FileIndex) {
    let loaded = shared.policies.get(settings);
    match &*loaded {
        Ok(policies) => lint_source_indexed_with(
            source,
            Checks {
                settings,
                policies,
                shared,
            },
        ),
        Err(errors) => (policy_failure(source, errors), cross::FileIndex::default()),
    }
}

pub(crate) fn lint_source_indexed_with(
    source: SourceFile,
    checks: Checks<'_>,
) -> (FileReport, cross::FileIndex) {
    let text = source.text.as_str();
    // A small file never starts the thread pool (most of a one-file run's system time).
    let ranges = if text.len() >= PARALLEL_FILE_SIZE {
        yaml::split_documents(text, rayon::current_num_threads() * 4)
    } else {
        std::iter::once(0..text.len()).collect()
    };
    let (mut diagnostics, mut stats, index) =
        lint_ranges(text, ranges, checks, Indexing::Everything);
    stats.files = 1;
    let daemonsets = index.linted();
    suppress_stage::apply(
        checks.settings,
        checks.shared.tally,
        &source.name,
        &daemonsets,
        &mut diagnostics,
    );
    let mut report = FileReport::new(source);
    report.diagnostics = diagnostics;
    report.stats = stats;
    report.daemonsets = daemonsets;
    (report, index)
}

/// Lint the documents of `text[ranges]` (consecutive ranges that start at document markers),
/// in parallel when there are several. Findings are sorted by position; document indices
/// count from the start of the first range. `stats.files` is left at 0.
pub(crate) fn lint_ranges(
    text: &str,
    ranges: Vec<std::ops::Range<usize>>,
    checks: Checks<'_>,
    index: Indexing,
) -> (Vec<Diagnostic>, Stats, cross::FileIndex) {
    use rayon::prelude::*;
    let parts: Vec<(Vec<Diagnostic>, Stats, cross::FileIndex)> = if ranges.len() > 1 {
        ranges
            .into_par_iter()
            .map(|r| lint_range(text, r, checks, index))
            .collect()
    } else {
        ranges
            .into_iter()
            .map(|r| lint_range(text, r, checks, index))
            .collect()
    };
    let mut diagnostics = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
    let mut stats = Stats::default();
    let mut index = cross::FileIndex::default();
    for (mut part, part_stats, mut part_index) in parts {
        // Document indices count from the top of the text.
        for d in &mut part {
            d.document += stats.documents;
        }
        part_index.shift(0, stats.documents);
        index.append(part_index);
        diagnostics.append(&mut part);
        stats += part_stats;
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    (diagnostics, stats, index)
}

/// Files at least this large are split at document markers and linted in parallel.
pub(crate) const PARALLEL_FILE_SIZE: usize = 256 * 1024;

/// Lint the documents of `text[range]`; document indices are local to the range.
/// What a lint records for the run-level checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Indexing {
    /// Every object.
    Everything,
    /// Objects other than DaemonSets: a streamed large file indexes its DaemonSets again at
    /// the end, and only when the run has objects they could be checked against (see
    /// [`cross::may_find`]), so their entries are not held meanwhile.
    OtherObjects,
}

fn lint_range(
    text: &str,
    range: std::ops::Range<usize>,
    checks: Checks<'_>,
    indexing: Indexing,
) -> (Vec<Diagnostic>, Stats, cross::FileIndex) {
    let settings = checks.settings;
    let mut diagnostics = Vec::new();
    let mut stats = Stats::default();
    let mut index = cross::FileIndex::default();
    let mut docs = yaml::documents_in(text, range, settings.limits);
    for doc in docs.by_ref() {
        let doc = match doc {
            Ok(doc) => doc,
            Err(err) => {
                diagnostics.push(engine_diagnostic(
                    &rules::YAML_SYNTAX,
                    err.span,
                    err.document,
                    format!("invalid YAML: {}", err.message),
                ));
                continue;
            }
        };
        let start = diagnostics.len();
        let mut suppressions = suppress::Suppressions::default();
        suppressions.add_comments(text, &doc.comments);
        check_document(
            &doc,
            text,
            checks,
            &mut stats,
            &mut diagnostics,
            (&suppressions, &mut index, indexing),
        );
        suppressions.apply(&mut diagnostics[start..]);
        suppressions.report(settings, doc.index, &mut diagnostics);
        // In source order document by document, so the stable sort of the whole range finds
        // it sorted instead of moving every finding.
        diagnostics[start..].sort_by_key(|d| (d.span.start, d.span.end));
    }
    stats.documents = docs.started();
    (diagnostics, stats, index)
}

fn check_document(
    doc: &yaml::Document<'_>,
    text: &str,
    checks: Checks<'_>,
    stats: &mut Stats,
    out: &mut Vec<Diagnostic>,
    (comments, index, indexing): (&suppress::Suppressions, &mut cross::FileIndex, Indexing),
) {
    let Checks {
        settings,
        policies,
        shared,
    } = checks;
    let objects = manifest::objects(doc);
    report_duplicate_keys(doc, &objects, settings, out);
    for object in objects {
        if object.kind != "DaemonSet" {
            stats.other_objects += 1;
            index.add_object(&object);
            continue;
        }
        stats.daemonsets += 1;
        let start = out.len();
        // One reference for the object, shared by its findings and its index entry.
        let reference = std::sync::Arc::new(object.reference());
        rules::yaml_1_1_ambiguity::check_object(&object, settings, out);
        let shape = DaemonSet::from_object(object);
        let mut instance = schema::ObjectInstance::new(&object);
        let pasted = shape.as_ref().is_err_and(|e| e.lost_indentation);
        if object.api_version == Some("apps/v1") && !pasted {
            let skip = shape.as_ref().err().map(|e| e.span);
            schema::check_object(&object, &mut instance, settings, skip, out);
            rules::yaml_1_1_ambiguity::defer_to_invalid_type(&mut out[start..]);
        }
        match shape {
            Ok(ds) => {
                rules::check_daemonset(&ds, text, settings, shared.cluster, out);
                policies.check(&ds, &mut instance, settings, out);
                rules::stamp_object(&reference, &mut out[start..]);
                let mut suppressions = suppress::Suppressions::default();
                suppressions.add_annotations(text, &ds);
                if indexing == Indexing::Everything {
                    let kept = [comments, &suppressions];
                    index_daemonset(&ds, reference, (settings, shared.inventory), kept, index);
                } else if rules::missing_priority_class::to_look_up(&ds, settings).is_some() {
                    index.looks_up_priority_class = true;
                }
                suppressions.apply(&mut out[start..]);
                suppressions.report(settings, doc.index, out);
            }
            Err(shape) => {
                let mut d = engine_diagnostic(
                    &rules::INVALID_DAEMONSET,
                    shape.span,
                    object.document,
                    format!("this DaemonSet cannot be linted: {}", shape.message),
                );
                d.help = Some(
                    "a DaemonSet needs `spec.template.spec.containers` as a list of containers; if \
                     every key sits at column 1, the YAML lost its indentation when pasted"
                        .into(),
                );
                d.path = doc.root().and_then(|r| r.path_to(shape.span));
                if let Some(sev) = settings.severity_of(&rules::INVALID_DAEMONSET) {
                    d.severity = sev;
                    out.push(d);
                }
                rules::stamp_object(&reference, &mut out[start..]);
            }
        }
    }
}

/// Record a DaemonSet for the run-level checks, with the suppressions that apply to its
/// findings (the document's comments, its annotations).
fn index_daemonset(
    ds: &DaemonSet<'_>,
    reference: std::sync::Arc<ObjectRef>,
    (settings, inventory): (&Settings, bool),
    suppressions: [&suppress::Suppressions; 2],
    index: &mut cross::FileIndex,
) {
    // Most objects have none.
    let kept = suppressions
        .into_iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    index.add_daemonset(ds, reference, settings, inventory, kept);
}

/// Index the DaemonSets of `text[range]` (as [`lint_range`] with [`Indexing::Everything`]
/// does, without linting); document indices are local to the range. Also gives the number of
/// documents.
pub(crate) fn index_range(
    text: &str,
    range: std::ops::Range<usize>,
    settings: &Settings,
    inventory: bool,
) -> (cross::FileIndex, usize) {
    let mut index = cross::FileIndex::default();
    let mut docs = yaml::documents_in(text, range, settings.limits);
    for doc in docs.by_ref().flatten() {
        let mut comments = suppress::Suppressions::default();
        comments.add_comments(text, &doc.comments);
        for object in manifest::objects(&doc) {
            if object.kind != "DaemonSet" {
                continue;
            }
            let reference = std::sync::Arc::new(object.reference());
            if let Ok(ds) = DaemonSet::from_object(object) {
                let mut annotations = suppress::Suppressions::default();
                annotations.add_annotations(text, &ds);
                index_daemonset(
                    &ds,
                    reference,
                    (settings, inventory),
                    [&comments, &annotations],
                    &mut index,
                );
            }
        }
    }
    (index, docs.started())
}

/// `duplicate-key` findings for every document (kubectl rejects a document with a repeated key
/// whatever its kind).
fn report_duplicate_keys(
    doc: &yaml::Document<'_>,
    objects: &[manifest::Object<'_>],
    settings: &Settings,
    out: &mut Vec<Diagnostic>,
) {
    if doc.duplicate_keys.is_empty() {
        return;
    }
    let meta = &rules::DUPLICATE_KEY;
    let Some(severity) = settings.severity_of(meta) else {
        return;
    };
    for dup in &doc.duplicate_keys {
        let owner = objects.iter().find(|o| {
            let span = o.node.own_span();
            span.start <= dup.second.start && dup.second.end <= span.end
        });
        // Keys repeated by a paste that lost its indentation are that one problem, which
        // `invalid-daemonset` reports.
        if owner.is_some_and(|o| {
            o.kind == "DaemonSet" && DaemonSet::from_object(*o).is_err_and(|e| e.lost_indentation)
        }) {
            continue;
        }
        let root = doc.root();
        let name = &dup.key;
        let violation = rules::Violation::new(
            dup.second,
            format!(
                "the key `{name}` appears twice in this mapping: strict field validation \
                 (kubectl's default) rejects the document, and tools that accept it apply the \
                 last value (as daemonlint reads it)"
            ),
        )
        .label(dup.first, format!("`{name}` first appears here"))
        .help("merge the two entries into one, or remove the stale one");
        let d = match owner {
            Some(object) => {
                let mut d = rules::object_diagnostic(object, meta.id, severity, violation);
                d.object = Some(std::sync::Arc::new(object.reference()));
                d
            }
            None => {
                let mut d = engine_diagnostic(meta, dup.second, doc.index, violation.message);
                d.severity = severity;
                d.help = violation.help;
                d.labels = violation.labels;
                d.path = root.and_then(|r| r.path_to(dup.second));
                d
            }
        };
        out.push(d);
    }
}

/// A report that says the source was not linted because a policy file is broken.
fn policy_failure(source: SourceFile, errors: &[FileReport]) -> FileReport {
    let detail: Vec<String> = errors
        .iter()
        .flat_map(|f| {
            f.diagnostics.iter().map(move |d| {
                let at = f.source.line_col(d.span.start);
                format!("{}:{}:{}: {}", f.source.name, at.line, at.column, d.message)
            })
        })
        .collect();
    let d = engine_diagnostic(
        &rules::INVALID_POLICY,
        Span::empty(0),
        0,
        format!(
            "not linted: a policy file is broken ({})",
            detail.join("; ")
        ),
    );
    FileReport::failed(source, d, true)
}

/// Read and lint one file, without the run-level checks, with the file's index for them;
/// read failures become an `io-error` finding.
#[must_use]
pub(crate) fn lint_file_indexed(
    path: &Path,
    name: &str,
    settings: &Settings,
    shared: Shared<'_>,
) -> (FileReport, cross::FileIndex) {
    let failed = |message: String, io_error: bool| {
        let mut d = engine_diagnostic(&rules::IO_ERROR, Span::empty(0), 0, message);
        if !io_error {
            d.rule = rules::YAML_SYNTAX.id.into();
        }
        (
            FileReport::failed(SourceFile::new(name, String::new()), d, io_error),
            cross::FileIndex::default(),
        )
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return failed("is a directory".into(), true),
        Ok(meta) if meta.is_file() && meta.len() > settings.max_file_size => {
            return failed(
                format!(
                    "the file is {} bytes, over the {}-byte limit; daemonlint does not read it",
                    meta.len(),
                    settings.max_file_size
                ),
                false,
            );
        }
        Ok(meta) if !meta.is_file() => {
            return failed("not a regular file (a FIFO, socket or device); daemonlint reads only regular files".into(), true);
        }
        Ok(_) => {}
        Err(e) => return failed(format!("cannot read: {e}"), true),
    }
    let bytes = match source::read_limited(path, settings.max_file_size) {
        Ok(b) => b,
        Err(e) => return failed(format!("cannot read: {e}"), true),
    };
    let (mut report, index) = lint_bytes_indexed(name, bytes, settings, shared);
    report.path = Some(path.to_path_buf());
    (report, index)
}

/// Lint raw bytes (a file's or stdin's contents), without the run-level checks, with the
/// file's index for them.
#[must_use]
pub(crate) fn lint_bytes_indexed(
    name: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    shared: Shared<'_>,
) -> (FileReport, cross::FileIndex) {
    match decode(name, bytes) {
        (source, None) => lint_source_indexed(source, settings, shared),
        (source, Some(d)) => (
            FileReport::failed(source, *d, false),
            cross::FileIndex::default(),
        ),
    }
}

/// Decode file bytes (see [`source::decode`]); a problem becomes a `yaml-syntax` finding.
pub(crate) fn decode(name: &str, bytes: Vec<u8>) -> (SourceFile, Option<Box<Diagnostic>>) {
    let (source, problem) = source::decode(name, bytes);
    let d = problem.map(|p| Box::new(engine_diagnostic(&rules::YAML_SYNTAX, p.span, 0, p.message)));
    (source, d)
}

pub use crate::settings::SettingsSource;

/// The report of a run stopped by a broken policy file (its findings point into it).
pub(crate) fn broken_policies(
    source: &dyn SettingsSource,
    policies: &policy::Cache,
) -> Option<Report> {
    let base = source.for_path(None);
    if policies.get(&base).is_ok() {
        return None;
    }
    policy::load(&base.policies, &base)
        .err()
        .map(|files| Report {
            files,
            config_error: true,
            ..Report::default()
        })
}

/// The files a run lints: `paths` discovered, then `extra` files not among them.
pub(crate) fn targets(
    paths: &[std::path::PathBuf],
    source: &dyn SettingsSource,
    force_exclude: bool,
    extra: &[std::path::PathBuf],
    skip: &discover::Skip,
) -> Vec<discover::Target> {
    let mut targets = discover::discover(paths, source, force_exclude);
    if !skip.is_empty() {
        targets.retain(|t| t.error.is_some() || !skip.skips(&t.path));
    }
    // The baseline is JSON beside the manifests: not one of them.
    targets.retain(|t| {
        t.error.is_some()
            || t.path.extension().is_none_or(|e| e != "json")
            || !crate::settings::exemptions::is_baseline(&source.for_path(Some(&t.path)), &t.path)
    });
    for path in extra {
        if !targets.iter().any(|t| &t.path == path) {
            targets.push(discover::Target {
                path: path.clone(),
                display: path.display().to_string(),
                error: None,
            });
        }
    }
    targets
}

/// Lint one discovered file with its settings (a discovery error becomes its finding).
pub(crate) fn lint_target(
    t: &discover::Target,
    source: &dyn SettingsSource,
    shared: Shared<'_>,
) -> (FileReport, cross::FileIndex) {
    match &t.error {
        Some(message) => {
            let d = engine_diagnostic(&rules::IO_ERROR, Span::empty(0), 0, message.clone());
            let mut report =
                FileReport::failed(SourceFile::new(t.display.clone(), String::new()), d, true);
            report.stats = Stats::default();
            (report, cross::FileIndex::default())
        }
        None => {
            let settings = source.for_path(Some(&t.path));
            lint_file_indexed(&t.path, &t.display, &settings, shared)
        }
    }
}
