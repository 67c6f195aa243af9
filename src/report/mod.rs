//! One emitter per output format. Emitters never re-parse YAML: they read the report and the
//! line index of each file.

mod concise;
mod full;
mod json;

use std::io::{self, Write};

use crate::Report;

/// Every output format; serves clap, the configuration file and the docs.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Rich excerpts of the source with labels (the default on a terminal).
    Full,
    /// One line per finding: `file:line:col: severity[rule] message`.
    Concise,
    /// A stable JSON document (see the README for the contract).
    Json,
}

/// Options that shape human output.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// Print the closing summary line.
    pub summary: bool,
}

/// Write `report` in `format`.
pub fn emit(
    format: OutputFormat,
    report: &Report,
    options: RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Full => full::emit(report, options, out)?,
        OutputFormat::Concise => concise::emit(report, options, out)?,
        OutputFormat::Json => return json::emit(report, out),
    }
    if options.summary {
        summary(report, out)?;
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line of human formats.
pub fn summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    use crate::diagnostic::Severity;
    let stats = report.stats();
    let total = report.active().count();
    let suppressed = match report.suppressed() {
        0 => String::new(),
        n => format!("; {n} suppressed"),
    };
    let scope = format!(
        "{} in {}, {} ({} skipped)",
        plural(stats.daemonsets, "DaemonSet", "DaemonSets"),
        plural(stats.files, "file", "files"),
        plural(stats.documents, "document", "documents"),
        plural(stats.other_objects, "other object", "other objects"),
    );
    if total == 0 {
        writeln!(out, "No findings{suppressed}: {scope}.")
    } else {
        let parts: Vec<String> = [
            (Severity::Error, "error", "errors"),
            (Severity::Warning, "warning", "warnings"),
            (Severity::Info, "info", "info"),
        ]
        .into_iter()
        .filter_map(|(sev, one, many)| {
            let n = report.count(sev);
            (n > 0).then(|| plural(n, one, many))
        })
        .collect();
        writeln!(
            out,
            "Found {} ({}{suppressed}): {scope}.",
            plural(total, "finding", "findings"),
            parts.join(", ")
        )
    }
}

/// Line and column of a label that points into another file of the report (1:1 when that file
/// is not part of it).
#[must_use]
pub fn label_position(report: &crate::Report, file: &str, span: crate::source::Span) -> (u32, u32) {
    report
        .files
        .iter()
        .find(|f| f.source.name == file)
        .map_or((1, 1), |f| {
            let pos = f.source.line_col(span.start);
            (pos.line, pos.column)
        })
}
