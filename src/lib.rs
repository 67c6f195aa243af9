//! daemonlint: a linter and policy checker for Kubernetes DaemonSet manifests.
//!
//! The data flows one way: discover → load → objects → check → report. The same [`lint_source`]
//! serves the command line, the language server and the tests.

pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod manifest;
pub mod policy;
pub mod report;
pub mod rules;
pub mod rules_docs;
pub mod schema;
pub mod source;
pub mod yaml;

use std::path::Path;

use config::Settings;
use diagnostic::{Diagnostic, Severity};
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
    /// The file could not be read, or a policy file is broken (exit code 2).
    pub io_error: bool,
}

/// The findings of a whole run.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
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

    pub fn diagnostics(&self) -> impl Iterator<Item = (&FileReport, &Diagnostic)> {
        self.files
            .iter()
            .flat_map(|f| f.diagnostics.iter().map(move |d| (f, d)))
    }

    #[must_use]
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics()
            .filter(|(_, d)| d.severity == severity)
            .count()
    }

    /// 0 clean, 1 findings at or above the threshold, 2 a file could not be read.
    #[must_use]
    pub fn exit_code(&self, settings: &Settings) -> i32 {
        if self.files.iter().any(|f| f.io_error) {
            2
        } else if self
            .diagnostics()
            .any(|(_, d)| settings.fail_on.fails(d.severity))
        {
            1
        } else {
            0
        }
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

/// Lint one in-memory source, with the policies of `settings.policies` (loaded for this call;
/// load them once with [`policy::load`] and call [`lint_source_with`] to lint many sources).
/// When a policy file is broken, the source is not linted and the report says why (exit 2).
#[must_use]
pub fn lint_source(source: SourceFile, settings: &Settings) -> FileReport {
    match policy::load(&settings.policies, settings) {
        Ok(policies) => lint_source_with(source, settings, &policies),
        Err(errors) => policy_failure(source, &errors),
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
        io_error: true,
    }
}

/// Lint one in-memory source with loaded policies.
#[must_use]
pub fn lint_source_with(
    source: SourceFile,
    settings: &Settings,
    policies: &policy::PolicySet,
) -> FileReport {
    let mut diagnostics = Vec::new();
    let mut stats = Stats {
        files: 1,
        ..Stats::default()
    };
    for doc in yaml::documents(&source.text, settings.limits) {
        let doc = match doc {
            Ok(doc) => doc,
            Err(err) => {
                stats.documents += 1;
                diagnostics.push(engine_diagnostic(
                    &rules::YAML_SYNTAX,
                    err.span,
                    err.document,
                    format!("invalid YAML: {}", err.message),
                ));
                continue;
            }
        };
        stats.documents += 1;
        check_document(&doc, settings, policies, &mut stats, &mut diagnostics);
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    FileReport {
        source,
        diagnostics,
        stats,
        io_error: false,
    }
}

fn check_document(
    doc: &yaml::Document<'_>,
    settings: &Settings,
    policies: &policy::PolicySet,
    stats: &mut Stats,
    out: &mut Vec<Diagnostic>,
) {
    let objects = manifest::objects(doc);
    report_duplicate_keys(doc, &objects, settings, out);
    for object in objects {
        if object.kind != "DaemonSet" {
            stats.other_objects += 1;
            continue;
        }
        stats.daemonsets += 1;
        rules::yaml_1_1_ambiguity::check_object(&object, settings, out);
        let shape = DaemonSet::from_object(object);
        let mut instance = schema::ObjectInstance::new(&object);
        let pasted = shape.as_ref().is_err_and(|e| e.lost_indentation);
        if object.api_version == Some("apps/v1") && !pasted {
            let skip = shape.as_ref().err().map(|e| e.span);
            schema::check_object(&object, &mut instance, settings, skip, out);
        }
        match shape {
            Ok(ds) => {
                rules::check_daemonset(&ds, settings, out);
                policies.check(&ds, &mut instance, settings, out);
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
                d.object = Some(object.reference());
                d.path = doc.root().and_then(|r| r.path_to(shape.span));
                if let Some(sev) = settings.severity_of(d.rule.as_ref(), Some(d.severity)) {
                    d.severity = sev;
                    out.push(d);
                }
            }
        }
    }
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
    let Some(severity) = settings.severity_of(meta.id, Some(meta.default_severity)) else {
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
                "the key `{name}` appears twice in this mapping: kubectl rejects the document, \
                 and tools that accept it keep only one of the two values"
            ),
        )
        .label(dup.first, format!("`{name}` first appears here"))
        .help("merge the two entries into one, or remove the stale one");
        let d = match owner {
            Some(object) => rules::object_diagnostic(object, meta.id, severity, violation),
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
    match policy::load(&settings.policies, settings) {
        Ok(policies) => lint_file_with(path, name, settings, &policies),
        Err(errors) => policy_failure(SourceFile::new(name, String::new()), &errors),
    }
}

/// Read and lint one file with loaded policies.
#[must_use]
pub fn lint_file_with(
    path: &Path,
    name: &str,
    settings: &Settings,
    policies: &policy::PolicySet,
) -> FileReport {
    let failed = |message: String, io_error: bool| {
        let mut d = engine_diagnostic(&rules::IO_ERROR, Span::empty(0), 0, message);
        if !io_error {
            d.rule = rules::YAML_SYNTAX.id.into();
        }
        FileReport {
            source: SourceFile::new(name, String::new()),
            diagnostics: vec![d],
            stats: Stats {
                files: 1,
                ..Stats::default()
            },
            io_error,
        }
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
    lint_bytes_with(name, bytes, settings, policies)
}

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
    match policy::load(&settings.policies, settings) {
        Ok(policies) => lint_bytes_with(name, bytes, settings, &policies),
        Err(errors) => policy_failure(SourceFile::new(name, String::new()), &errors),
    }
}

/// Lint raw bytes with loaded policies.
#[must_use]
pub fn lint_bytes_with(
    name: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    policies: &policy::PolicySet,
) -> FileReport {
    match decode(name, bytes) {
        (source, None) => lint_source_with(source, settings, policies),
        (source, Some(d)) => FileReport {
            source,
            diagnostics: vec![*d],
            stats: Stats {
                files: 1,
                ..Stats::default()
            },
            io_error: false,
        },
    }
}

/// Discover and lint files and directories, in parallel; results are in path order. The
/// policies of `settings.policies` are loaded first: when one is broken, the report holds only
/// the policy files' findings (exit code 2).
#[must_use]
pub fn lint_paths(paths: &[std::path::PathBuf], settings: &Settings) -> Report {
    match policy::load(&settings.policies, settings) {
        Ok(policies) => lint_paths_with(paths, settings, &policies),
        Err(files) => Report { files },
    }
}

/// Discover and lint files and directories with loaded policies.
#[must_use]
pub fn lint_paths_with(
    paths: &[std::path::PathBuf],
    settings: &Settings,
    policies: &policy::PolicySet,
) -> Report {
    use rayon::prelude::*;
    let targets = discover::discover(paths);
    let files = targets
        .par_iter()
        .map(|t| match &t.error {
            Some(message) => FileReport {
                source: SourceFile::new(t.display.clone(), String::new()),
                diagnostics: vec![engine_diagnostic(
                    &rules::IO_ERROR,
                    Span::empty(0),
                    0,
                    message.clone(),
                )],
                stats: Stats::default(),
                io_error: true,
            },
            None => lint_file_with(&t.path, &t.display, settings, policies),
        })
        .collect();
    Report { files }
}
