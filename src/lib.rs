//! daemonlint: a linter and policy checker for Kubernetes DaemonSet manifests.
//!
//! The data flows one way: discover → load → objects → check → report. The same [`lint_source`]
//! serves the command line, the language server and the tests.

pub mod atomic;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod cross;
pub mod diagnostic;
pub mod discover;
pub mod fix;
pub mod inventory;
pub mod k8s;
pub mod lsp;
pub mod manifest;
pub mod policy;
pub mod registry;
pub mod render;
pub mod report;
pub mod rules;
pub mod rules_docs;
pub mod schema;
pub mod settings;
pub mod source;
pub mod source_map;
pub mod stream;
pub mod suppress;
pub mod suppress_stage;
pub mod yaml;

use std::borrow::Cow;
use std::path::Path;

use config::{Resolver, Settings};
use diagnostic::{Diagnostic, ObjectRef};
use manifest::DaemonSet;
use source::{SourceFile, Span};

/// Counts of what a file held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub files: usize,
    pub documents: usize,
    /// Kubernetes objects other than DaemonSets (skipped).
    pub other_objects: usize,
    pub daemonsets: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, rhs: Self) {
        self.files += rhs.files;
        self.documents += rhs.documents;
        self.other_objects += rhs.other_objects;
        self.daemonsets += rhs.daemonsets;
    }
}

/// The findings of one file, with the text they point into.
#[derive(Debug)]
pub struct FileReport {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
    /// Every DaemonSet linted in the file, in file order, with or without findings (reports
    /// that list what passed, such as JUnit, need them).
    pub daemonsets: Vec<LintedObject>,
    /// The file could not be read, or a policy file is broken (exit code 2).
    pub io_error: bool,
    /// Where the file was read from (`None` for stdin and in-memory sources).
    pub path: Option<std::path::PathBuf>,
}

/// An object that was linted and the 0-based index of the document holding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintedObject {
    pub document: usize,
    pub object: ObjectRef,
}

/// The findings of a whole run.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    /// Show suppressed findings too (`--show-suppressed`).
    pub show_suppressed: bool,
    /// A configuration or policy file was broken (exit code 2).
    pub config_error: bool,
}

impl Report {
    #[must_use]
    pub fn stats(&self) -> Stats {
        let mut total = Stats::default();
        for f in &self.files {
            total += f.stats;
        }
        total
    }

    /// The findings to show: active ones, and suppressed ones with `--show-suppressed`.
    pub fn diagnostics(&self) -> impl Iterator<Item = (&FileReport, &Diagnostic)> {
        let show = self.show_suppressed;
        self.files
            .iter()
            .flat_map(|f| f.diagnostics.iter().map(move |d| (f, d)))
            .filter(move |(_, d)| show || d.suppressed.is_none())
    }

    /// The findings of one file to show (see [`Report::diagnostics`]).
    pub fn visible<'a>(&self, file: &'a FileReport) -> impl Iterator<Item = &'a Diagnostic> + 'a {
        let show = self.show_suppressed;
        file.diagnostics
            .iter()
            .filter(move |d| show || d.suppressed.is_none())
    }

    /// Findings that are not suppressed.
    pub fn active(&self) -> impl Iterator<Item = (&FileReport, &Diagnostic)> {
        self.files
            .iter()
            .flat_map(|f| f.diagnostics.iter().map(move |d| (f, d)))
            .filter(|(_, d)| d.suppressed.is_none())
    }

    /// 0 clean, 1 findings at or above the threshold, 2 a file could not be read.
    #[must_use]
    pub fn exit_code(&self, fail_on: config::FailOn) -> i32 {
        report::Totals::of(self).exit_code(fail_on)
    }
}

fn engine_diagnostic(
    meta: &rules::RuleMeta,
    span: Span,
    document: usize,
    message: String,
) -> Diagnostic {
    let mut d = Diagnostic::new(meta.id, meta.default_severity, span, message);
    d.document = document;
    d
}

/// Lint one in-memory source, with the run-level checks over its own objects.
#[must_use]
pub fn lint_source(source: SourceFile, settings: &Settings) -> FileReport {
    let (report, index) = lint_source_indexed(source, settings);
    with_run_level(report, &index, settings)
}

/// Run the run-level checks of one file over its own objects.
fn with_run_level(report: FileReport, index: &cross::FileIndex, settings: &Settings) -> FileReport {
    let mut files = [report];
    let name = files[0].source.name.clone();
    cross::check(
        &mut files,
        &[cross::Indexed {
            file: Some(0),
            name: &name,
            index,
            shared: false,
        }],
        &|_| Cow::Borrowed(settings),
    );
    let [report] = files;
    report
}

/// Lint one in-memory source and index its objects for the run-level checks.
#[must_use]
pub fn lint_source_indexed(
    source: SourceFile,
    settings: &Settings,
) -> (FileReport, cross::FileIndex) {
    let loaded = policy::cached(settings);
    match &*loaded {
        Ok(policies) => lint_source_indexed_with(source, settings, policies),
        Err(errors) => (policy_failure(source, errors), cross::FileIndex::default()),
    }
}

/// Lint one in-memory source with loaded policies (see [`policy::load`]).
#[must_use]
pub fn lint_source_with(
    source: SourceFile,
    settings: &Settings,
    policies: &policy::PolicySet,
) -> FileReport {
    let (report, index) = lint_source_indexed_with(source, settings, policies);
    with_run_level(report, &index, settings)
}

fn lint_source_indexed_with(
    source: SourceFile,
    settings: &Settings,
    policies: &policy::PolicySet,
) -> (FileReport, cross::FileIndex) {
    let text = source.text.as_str();
    // A small file never starts the thread pool (most of a one-file run's system time).
    let ranges = if text.len() >= PARALLEL_FILE_SIZE {
        yaml::split_documents(text, rayon::current_num_threads() * 4)
    } else {
        std::iter::once(0..text.len()).collect()
    };
    let (mut diagnostics, mut stats, index) =
        lint_ranges(text, ranges, settings, policies, Indexing::Everything);
    stats.files = 1;
    let daemonsets = index.linted();
    suppress_stage::apply(settings, &source.name, &daemonsets, &mut diagnostics);
    (
        FileReport {
            source,
            diagnostics,
            stats,
            daemonsets,
            io_error: false,
            path: None,
        },
        index,
    )
}

/// Lint the documents of `text[ranges]` (consecutive ranges that start at document markers),
/// in parallel when there are several. Findings are sorted by position; document indices
/// count from the start of the first range. `stats.files` is left at 0.
pub(crate) fn lint_ranges(
    text: &str,
    ranges: Vec<std::ops::Range<usize>>,
    settings: &Settings,
    policies: &policy::PolicySet,
    index: Indexing,
) -> (Vec<Diagnostic>, Stats, cross::FileIndex) {
    use rayon::prelude::*;
    let parts: Vec<(Vec<Diagnostic>, Stats, cross::FileIndex)> = if ranges.len() > 1 {
        ranges
            .into_par_iter()
            .map(|r| lint_range(text, r, settings, policies, index))
            .collect()
    } else {
        ranges
            .into_iter()
            .map(|r| lint_range(text, r, settings, policies, index))
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
    settings: &Settings,
    policies: &policy::PolicySet,
    indexing: Indexing,
) -> (Vec<Diagnostic>, Stats, cross::FileIndex) {
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
            settings,
            policies,
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
    settings: &Settings,
    policies: &policy::PolicySet,
    stats: &mut Stats,
    out: &mut Vec<Diagnostic>,
    (comments, index, indexing): (&suppress::Suppressions, &mut cross::FileIndex, Indexing),
) {
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
                rules::check_daemonset(&ds, text, settings, out);
                policies.check(&ds, &mut instance, settings, out);
                rules::stamp_object(&reference, &mut out[start..]);
                let mut suppressions = suppress::Suppressions::default();
                suppressions.add_annotations(text, &ds);
                if indexing == Indexing::Everything {
                    index_daemonset(&ds, reference, settings, [comments, &suppressions], index);
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
    settings: &Settings,
    suppressions: [&suppress::Suppressions; 2],
    index: &mut cross::FileIndex,
) {
    // Most objects have none.
    let kept = suppressions
        .into_iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    index.add_daemonset(ds, reference, settings, kept);
}

/// Index the DaemonSets of `text[range]` (as [`lint_range`] with [`Indexing::Everything`]
/// does, without linting); document indices are local to the range. Also gives the number of
/// documents.
pub(crate) fn index_range(
    text: &str,
    range: std::ops::Range<usize>,
    settings: &Settings,
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
                    settings,
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
    FileReport {
        source,
        diagnostics: vec![d],
        stats: Stats {
            files: 1,
            ..Stats::default()
        },
        daemonsets: Vec::new(),
        io_error: true,
        path: None,
    }
}

/// Decode file bytes: strip a UTF-8 BOM, decode UTF-16 with a BOM, reject binary and invalid
/// UTF-8 with a positioned diagnostic.
pub fn decode(name: &str, bytes: Vec<u8>) -> (SourceFile, Option<Box<Diagnostic>>) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode(name, rest.to_vec());
    }
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(true),
        Some([0xFE, 0xFF]) => Some(false),
        _ => None,
    };
    if let Some(le) = utf16 {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], c.get(1).copied().unwrap_or(0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        return match String::from_utf16(&units) {
            Ok(text) => (SourceFile::new(name, text), None),
            Err(_) => {
                let text = String::from_utf16_lossy(&units);
                let d = engine_diagnostic(
                    &rules::YAML_SYNTAX,
                    Span::empty(0),
                    0,
                    "the file starts with a UTF-16 byte order mark but is not valid UTF-16".into(),
                );
                (SourceFile::new(name, text), Some(Box::new(d)))
            }
        };
    }
    if let Some(nul) = bytes.iter().take(8192).position(|&b| b == 0) {
        let text = String::from_utf8_lossy(&bytes[..nul]).into_owned();
        let at = text.len();
        let d = engine_diagnostic(
            &rules::YAML_SYNTAX,
            Span::empty(at),
            0,
            "this looks like a binary file (it contains a NUL byte), not YAML or JSON".into(),
        );
        return (SourceFile::new(name, text), Some(Box::new(d)));
    }
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile::new(name, text), None),
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let d = engine_diagnostic(
                &rules::YAML_SYNTAX,
                Span::new(valid, valid + 1),
                0,
                format!("the file is not valid UTF-8 (invalid byte at offset {valid}); Kubernetes manifests must be UTF-8"),
            );
            (SourceFile::new(name, text), Some(Box::new(d)))
        }
    }
}

/// Read and lint one file; read failures become an `io-error` finding.
#[must_use]
pub fn lint_file(path: &Path, name: &str, settings: &Settings) -> FileReport {
    let (report, index) = lint_file_indexed(path, name, settings);
    with_run_level(report, &index, settings)
}

/// [`lint_file`] without the run-level checks, with the file's index for them.
#[must_use]
pub fn lint_file_indexed(
    path: &Path,
    name: &str,
    settings: &Settings,
) -> (FileReport, cross::FileIndex) {
    let failed = |message: String, io_error: bool| {
        let mut d = engine_diagnostic(&rules::IO_ERROR, Span::empty(0), 0, message);
        if !io_error {
            d.rule = rules::YAML_SYNTAX.id.into();
        }
        (
            FileReport {
                source: SourceFile::new(name, String::new()),
                diagnostics: vec![d],
                stats: Stats {
                    files: 1,
                    ..Stats::default()
                },
                daemonsets: Vec::new(),
                io_error,
                path: None,
            },
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
    let bytes = match read_limited(path, settings.max_file_size) {
        Ok(b) => b,
        Err(e) => return failed(format!("cannot read: {e}"), true),
    };
    let (mut report, index) = lint_bytes_indexed(name, bytes, settings);
    report.path = Some(path.to_path_buf());
    (report, index)
}

/// Read at most `limit` bytes of a file (an error when it is larger).
pub(crate) fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "the file grew over the {limit}-byte limit while being read"
        )));
    }
    Ok(bytes)
}

/// Lint raw bytes (a file's or stdin's contents).
#[must_use]
pub fn lint_bytes(name: &str, bytes: Vec<u8>, settings: &Settings) -> FileReport {
    let (report, index) = lint_bytes_indexed(name, bytes, settings);
    with_run_level(report, &index, settings)
}

/// [`lint_bytes`] without the run-level checks, with the file's index for them.
#[must_use]
pub fn lint_bytes_indexed(
    name: &str,
    bytes: Vec<u8>,
    settings: &Settings,
) -> (FileReport, cross::FileIndex) {
    match decode(name, bytes) {
        (source, None) => lint_source_indexed(source, settings),
        (source, Some(d)) => (
            FileReport {
                source,
                diagnostics: vec![*d],
                stats: Stats {
                    files: 1,
                    ..Stats::default()
                },
                daemonsets: Vec::new(),
                io_error: false,
                path: None,
            },
            cross::FileIndex::default(),
        ),
    }
}

/// Where the settings of each file come from: one fixed set, or configuration discovery.
pub trait SettingsSource: Sync {
    /// The settings for a file (`None`: the working directory, e.g. for stdin without a name).
    fn for_path(&self, path: Option<&Path>) -> Cow<'_, Settings>;
}

impl SettingsSource for Settings {
    fn for_path(&self, path: Option<&Path>) -> Cow<'_, Settings> {
        match path {
            Some(p) if !self.per_path.is_empty() => Cow::Owned(self.for_file(p)),
            _ => Cow::Borrowed(self),
        }
    }
}

impl SettingsSource for Resolver {
    fn for_path(&self, path: Option<&Path>) -> Cow<'_, Settings> {
        Cow::Owned(self.settings_for(path))
    }
}

/// Discover and lint files and directories, in parallel; results are in path order.
/// `force_exclude` applies excludes to explicitly named files too (pre-commit passes files).
/// After every file is linted, the run-level checks see the objects of all of them.
#[must_use]
pub fn lint_paths_with(
    paths: &[std::path::PathBuf],
    source: &dyn SettingsSource,
    force_exclude: bool,
) -> Report {
    lint_paths_indexed(paths, source, force_exclude, &[]).0
}

/// [`lint_paths_with`], plus `extra` files linted with the others (e.g. `--namespaces`), and
/// the index of every file (in `report.files` order) for the inventory.
#[must_use]
pub fn lint_paths_indexed(
    paths: &[std::path::PathBuf],
    source: &dyn SettingsSource,
    force_exclude: bool,
    extra: &[std::path::PathBuf],
) -> (Report, Vec<cross::FileIndex>) {
    use rayon::prelude::*;
    // A broken policy file stops the run: its findings, with spans into it, are the report.
    if let Some(report) = broken_policies(source) {
        return (report, Vec::new());
    }
    let targets = targets(paths, source, force_exclude, extra);
    let lint_target = |t: &discover::Target| lint_target(t, source);
    // One file (a pre-commit hook or an editor's save) does not start the thread pool.
    let (files, indexes): (Vec<FileReport>, Vec<cross::FileIndex>) = if targets.len() > 1 {
        targets.par_iter().map(lint_target).unzip()
    } else {
        targets.iter().map(lint_target).unzip()
    };
    let mut files = files;
    let names: Vec<String> = files.iter().map(|f| f.source.name.clone()).collect();
    let paths: Vec<Option<std::path::PathBuf>> = files.iter().map(|f| f.path.clone()).collect();
    let indexed: Vec<cross::Indexed<'_>> = indexes
        .iter()
        .enumerate()
        .map(|(i, index)| cross::Indexed {
            file: Some(i),
            name: &names[i],
            index,
            // `--namespaces` files are seen by every scope.
            shared: paths[i].as_ref().is_some_and(|p| extra.contains(p)),
        })
        .collect();
    cross::check(&mut files, &indexed, &|i| {
        source.for_path(paths.get(i).and_then(|p| p.as_deref()))
    });
    drop(indexed);
    (
        Report {
            files,
            ..Report::default()
        },
        indexes,
    )
}

/// The report of a run stopped by a broken policy file (its findings point into it).
pub(crate) fn broken_policies(source: &dyn SettingsSource) -> Option<Report> {
    let base = source.for_path(None);
    if policy::cached(&base).is_ok() {
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
) -> Vec<discover::Target> {
    let mut targets = discover::discover(paths, source, force_exclude);
    // The baseline is JSON beside the manifests: not one of them.
    targets.retain(|t| {
        t.error.is_some()
            || t.path.extension().is_none_or(|e| e != "json")
            || !suppress_stage::is_baseline(&source.for_path(Some(&t.path)), &t.path)
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
) -> (FileReport, cross::FileIndex) {
    match &t.error {
        Some(message) => (
            FileReport {
                source: SourceFile::new(t.display.clone(), String::new()),
                diagnostics: vec![engine_diagnostic(
                    &rules::IO_ERROR,
                    Span::empty(0),
                    0,
                    message.clone(),
                )],
                stats: Stats::default(),
                daemonsets: Vec::new(),
                io_error: true,
                path: None,
            },
            cross::FileIndex::default(),
        ),
        None => {
            let settings = source.for_path(Some(&t.path));
            lint_file_indexed(&t.path, &t.display, &settings)
        }
    }
}

/// Lint with fixed settings (no configuration discovery).
#[must_use]
pub fn lint_paths(paths: &[std::path::PathBuf], settings: &Settings) -> Report {
    lint_paths_with(paths, settings, false)
}

/// What `--fix` / `--diff` did.
#[derive(Debug, Default)]
pub struct FixSummary {
    /// Fixes applied (or that would be applied with `--diff`).
    pub fixed: usize,
    /// Files changed (or that would change).
    pub files: usize,
    /// Unified diffs, with `--diff`.
    pub diffs: Vec<String>,
}

/// Apply fixes to every file of `report` and re-lint the results, so the report lists what
/// remains. With `write`, files are written atomically; without, diffs are collected. Passes
/// repeat (at most four) while fixes that overlapped an earlier one become applicable.
pub fn fix_report(
    report: &mut Report,
    source: &dyn SettingsSource,
    unsafe_fixes: bool,
    write: bool,
) -> FixSummary {
    let mut summary = FixSummary::default();
    for file in &mut report.files {
        if file.io_error {
            continue;
        }
        let settings = source.for_path(file.path.as_deref());
        let original = file.source.text.clone();
        let mut current = std::mem::replace(
            file,
            FileReport {
                source: SourceFile::new(String::new(), String::new()),
                diagnostics: Vec::new(),
                stats: Stats::default(),
                daemonsets: Vec::new(),
                io_error: false,
                path: None,
            },
        );
        let name = current.source.name.clone();
        let mut relinted = None;
        let passes =
            fix::apply_until_stable(&original, &current.diagnostics, unsafe_fixes, |text| {
                let mut report =
                    lint_source(SourceFile::new(name.clone(), text.to_string()), &settings);
                let findings = std::mem::take(&mut report.diagnostics);
                relinted = Some(report);
                findings
            });
        if let (Some(mut report), Some(findings)) = (relinted, passes.findings) {
            report.diagnostics = findings;
            report.path = current.path.take();
            current = report;
        }
        let (text, applied) = (passes.text, passes.applied);
        if applied > 0 {
            summary.fixed += applied;
            summary.files += 1;
            if write {
                if let Some(path) = current.path.clone() {
                    if let Err(e) = fix::write_atomic(&path, &original, &text) {
                        // Keep the original findings: nothing was written.
                        let mut d =
                            engine_diagnostic(&rules::IO_ERROR, Span::empty(0), 0, e.to_string());
                        d.path = None;
                        current = lint_source(
                            SourceFile::new(current.source.name.clone(), original.clone()),
                            &settings,
                        );
                        current.path = Some(path);
                        current.diagnostics.insert(0, d);
                        current.io_error = true;
                        summary.fixed -= applied;
                        summary.files -= 1;
                    }
                }
            } else {
                summary
                    .diffs
                    .push(fix::unified_diff(&current.source.name, &original, &text));
            }
        }
        *file = current;
    }
    summary
}
