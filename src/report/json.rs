//! The JSON contract (version 1), documented in the README. Fields are only ever added.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::{Applicability, ObjectRef, Severity};
use crate::Report;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
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
    url: String,
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

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let diagnostics: Vec<JsonDiagnostic<'_>> = report
        .diagnostics()
        .map(|(file, d)| JsonDiagnostic {
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
            object: d.object.as_ref(),
            labels: d
                .labels
                .iter()
                .map(|l| {
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
            url: d.docs_url(),
            container: d.container.as_deref(),
            suppressed: d.suppressed.as_ref(),
        })
        .collect();
    let stats = report.stats();
    let output = Output {
        version: 1,
        summary: Summary {
            files: stats.files,
            documents: stats.documents,
            daemonsets: stats.daemonsets,
            other_objects: stats.other_objects,
            findings: report.active().count(),
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
            suppressed: report.suppressed(),
        },
        diagnostics,
    };
    serde_json::to_writer(&mut *out, &output).map_err(io::Error::other)?;
    writeln!(out)
}
