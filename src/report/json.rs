//! The JSON contract (version 1), documented in the README. Fields are only ever added.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::{Applicability, ObjectRef, Severity};
use crate::Report;

/// A rule's documentation URL, written straight into the output.
struct DocsUrl<'a>(&'a str);

impl Serialize for DocsUrl<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!(
            "https://github.com/daemonlint/daemonlint/blob/main/rules/{}.md",
            self.0
        ))
    }
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    daemonsets: usize,
    other_objects: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    suppressed: usize,
}

#[derive(Serialize)]
pub(crate) struct Position {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    /// The file the label points into, when it is not the finding's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(flatten)]
    position: Position,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    #[serde(flatten)]
    position: Position,
    start_offset: u32,
    end_offset: u32,
    replacement: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    description: &'a str,
    applicability: Applicability,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    help: Option<&'a str>,
    file: &'a str,
    #[serde(flatten)]
    position: Position,
    start_offset: u32,
    end_offset: u32,
    path: Option<&'a str>,
    document: usize,
    object: Option<&'a ObjectRef>,
    labels: Vec<JsonLabel<'a>>,
    fix: Option<JsonFix<'a>>,
    url: DocsUrl<'a>,
    container: Option<&'a str>,
    suppressed: Option<&'a crate::suppress::Suppressed>,
}

pub(crate) fn position(source: &crate::source::SourceFile, span: crate::source::Span) -> Position {
    let (start, end) = source.span_positions(span);
    Position {
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

fn json_diagnostic<'a>(
    report: &'a Report,
    file: &'a crate::FileReport,
    d: &'a crate::diagnostic::Diagnostic,
) -> JsonDiagnostic<'a> {
    JsonDiagnostic {
        rule: &d.rule,
        severity: d.severity,
        message: &d.message,
        help: d.help.as_deref(),
        file: &file.source.name,
        position: position(&file.source, d.span),
        start_offset: d.span.start,
        end_offset: d.span.end,
        path: d.path.as_deref(),
        document: d.document,
        object: d.object.as_deref(),
        labels: d
            .labels
            .iter()
            .map(|l| {
                // A label may point into another file of the run.
                let source = l
                    .file
                    .as_deref()
                    .and_then(|name| report.files.iter().find(|f| f.source.name == name))
                    .map_or(&file.source, |f| &f.source);
                JsonLabel {
                    message: &l.message,
                    file: l.file.as_deref(),
                    position: position(source, l.span),
                }
            })
            .collect(),
        fix: d.fix.as_ref().map(|f| JsonFix {
            description: &f.description,
            applicability: f.applicability,
            edits: f
                .edits
                .iter()
                .map(|e| JsonEdit {
                    position: position(&file.source, e.span),
                    start_offset: e.span.start,
                    end_offset: e.span.end,
                    replacement: &e.replacement,
                })
                .collect(),
        }),
        url: DocsUrl(&d.rule),
        container: d.container.as_deref(),
        suppressed: d.suppressed.as_ref(),
    }
}

/// Findings serialized per parallel task: large enough to amortise the task, small enough to
/// spread a file's findings over every core.
const CHUNK: usize = 512;
/// Findings serialized before the bytes are written out: the output is never held whole.
const WINDOW: usize = 8 * CHUNK;

/// `{"version":1,"diagnostics":[` — the findings follow, batch by batch.
pub fn begin(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{\"version\":1,\"diagnostics\":[")
}

/// The findings of one report (a part of the run), serialized in parallel chunks; their order
/// stays the report's. `first`: no finding was written yet.
pub fn batch(report: &Report, first: &mut bool, out: &mut dyn Write) -> io::Result<()> {
    use rayon::prelude::*;
    let findings: Vec<_> = report.diagnostics().collect();
    for window in findings.chunks(WINDOW) {
        let serialize = |chunk: &[(&crate::FileReport, &crate::diagnostic::Diagnostic)]| {
            let mut buf = Vec::with_capacity(chunk.len() * 512);
            for (file, d) in chunk {
                buf.push(b',');
                serde_json::to_writer(&mut buf, &json_diagnostic(report, file, d))
                    .map_err(io::Error::other)?;
            }
            Ok(buf)
        };
        // A small output is not worth starting the thread pool for.
        let parts: Vec<Vec<u8>> = if window.len() > CHUNK {
            window
                .par_chunks(CHUNK)
                .map(serialize)
                .collect::<io::Result<_>>()?
        } else {
            vec![serialize(window)?]
        };
        for part in &parts {
            // Every finding was written after a comma; the very first one needs none.
            let bytes = if *first { &part[1..] } else { &part[..] };
            *first = false;
            out.write_all(bytes)?;
        }
    }
    Ok(())
}

/// `],"summary":{...}}` and a newline.
pub fn end(totals: &super::Totals, out: &mut dyn Write) -> io::Result<()> {
    let summary = Summary {
        files: totals.stats.files,
        documents: totals.stats.documents,
        daemonsets: totals.stats.daemonsets,
        other_objects: totals.stats.other_objects,
        findings: totals.findings(),
        errors: totals.errors,
        warnings: totals.warnings,
        infos: totals.infos,
        suppressed: totals.suppressed,
    };
    out.write_all(b"],\"summary\":")?;
    serde_json::to_writer(&mut *out, &summary).map_err(io::Error::other)?;
    writeln!(out, "}}")
}
