//! One emitter per output format. Emitters never re-parse YAML: they read the report and the
//! line index of each file.

mod checkstyle;
mod concise;
mod full;
pub mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;
mod xml;

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;

use crate::diagnostic::ObjectRef;
use crate::outcome::{Collect, Emitter, Outcome, Report};

pub use crate::settings::OutputFormat;

/// Options that shape the output.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions<'a> {
    pub color: bool,
    /// Print the closing summary line (human formats and `github`).
    pub summary: bool,
    /// The directory file names are relative to (the working directory). Formats that need
    /// repository-relative paths (SARIF, GitLab) make absolute names under it relative, and
    /// SARIF records it as `%SRCROOT%`.
    pub src_root: Option<&'a Path>,
}

/// Write `report` in `format`.
pub fn emit(
    format: OutputFormat,
    report: &Report,
    options: RenderOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if FormatEmitter::streams_format(format) {
        let mut stream = FormatEmitter::new(format, options, out)?;
        stream.write(report)?;
        let totals = Totals::of(report);
        return stream.finish(&Outcome { totals });
    }
    emit_whole(format, report, options, out)
}

/// Write a whole report in a format that needs it whole.
fn emit_whole(
    format: OutputFormat,
    report: &Report,
    options: RenderOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Github => github::emit(report, options, out)?,
        OutputFormat::Sarif => return sarif::emit(report, options, out),
        OutputFormat::Junit => return junit::emit(report, out),
        OutputFormat::Checkstyle => return checkstyle::emit(report, out),
        OutputFormat::Gitlab => return gitlab::emit(report, options, out),
        OutputFormat::Full | OutputFormat::Concise | OutputFormat::Json => {}
    }
    if options.summary {
        summary(&Totals::of(report), out)?;
    }
    Ok(())
}

pub use crate::outcome::Totals;

/// The emitter of an output format. JSON, concise and full are written batch by batch as the
/// files of a run are linted (memory stays flat); SARIF, JUnit, Checkstyle, GitLab and GitHub
/// (with its job summary) keep the whole report and write it at the end.
pub struct FormatEmitter<'a> {
    format: OutputFormat,
    options: RenderOptions<'a>,
    out: &'a mut dyn Write,
    /// The whole report, for the formats written at the end.
    whole: Option<Collect>,
    /// No finding written yet (JSON separates them with commas).
    first: bool,
}

impl<'a> FormatEmitter<'a> {
    /// Whether `format` is written batch by batch.
    #[must_use]
    pub fn streams_format(format: OutputFormat) -> bool {
        matches!(
            format,
            OutputFormat::Json | OutputFormat::Concise | OutputFormat::Full
        )
    }

    /// Start the output.
    ///
    /// # Errors
    /// When `out` cannot be written.
    pub fn new(
        format: OutputFormat,
        options: RenderOptions<'a>,
        out: &'a mut dyn Write,
    ) -> io::Result<Self> {
        let streams = Self::streams_format(format);
        if format == OutputFormat::Json {
            json::begin(out)?;
        }
        Ok(Self {
            format,
            options,
            out,
            whole: (!streams).then(Collect::new),
            first: true,
        })
    }

    /// The whole report of a format written at the end (after [`Emitter::finish`]).
    #[must_use]
    pub fn whole(&self) -> Option<&Report> {
        self.whole.as_ref().map(Collect::report)
    }

    /// Write the findings of a batch (labels may point only into its own files).
    fn write(&mut self, report: &Report) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => json::batch(report, &mut self.first, self.out),
            OutputFormat::Full => full::emit(report, self.options, self.out),
            _ => concise::emit(report, self.options, self.out),
        }
    }
}

impl Emitter for FormatEmitter<'_> {
    fn batch(&mut self, batch: &mut Report) -> io::Result<()> {
        match &mut self.whole {
            Some(whole) => whole.batch(batch),
            None => self.write(batch),
        }
    }

    fn finish(&mut self, outcome: &Outcome) -> io::Result<()> {
        if let Some(whole) = &self.whole {
            return emit_whole(self.format, whole.report(), self.options, self.out);
        }
        match self.format {
            OutputFormat::Json => json::end(&outcome.totals, self.out),
            _ if self.options.summary => summary(&outcome.totals, self.out),
            _ => Ok(()),
        }
    }

    fn streams(&self) -> bool {
        self.whole.is_none()
    }

    fn run_level_texts(&self) -> bool {
        self.whole.is_none()
    }
}

/// A file name as tools that want repository-relative paths need it: an absolute name under
/// `root` is made relative to it, and separators are `/`.
pub(crate) fn relative_name<'a>(name: &'a str, root: Option<&Path>) -> Cow<'a, str> {
    let path = Path::new(name);
    let relative = root
        .filter(|_| path.is_absolute())
        .and_then(|root| path.strip_prefix(root).ok());
    let name: Cow<'a, str> = match relative {
        Some(rel) => Cow::Owned(rel.to_string_lossy().into_owned()),
        None => Cow::Borrowed(name),
    };
    if std::path::MAIN_SEPARATOR == '\\' && name.contains('\\') {
        Cow::Owned(name.replace('\\', "/"))
    } else {
        name
    }
}

/// `DaemonSet/namespace/name` (the namespace and the name only when set).
pub(crate) fn qualified_name(object: &ObjectRef) -> String {
    let mut out = object.kind.clone();
    for part in [&object.namespace, &object.name].into_iter().flatten() {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// A stable fingerprint of every finding, in [`Report::diagnostics`] order: a SHA-256 of the
/// rule, the repository-relative file, the object and the YAML path, plus the occurrence count
/// of that key so that two findings never share one. Line numbers are left out on purpose, so
/// editing lines above a finding does not make it look new to GitLab or GitHub.
pub(crate) fn fingerprints(report: &Report, root: Option<&Path>) -> Vec<String> {
    use crate::settings::exemptions::{fingerprint_key, hex_sha256};
    use rayon::prelude::*;
    let mut seen: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
    // The keys and their occurrence counts in order; the hashing, most of the work, in
    // parallel for a large report.
    let mut name: Option<(&str, Cow<'_, str>)> = None;
    let keyed: Vec<(Vec<u8>, u32)> = report
        .diagnostics()
        .map(|(file, d)| {
            let file = file.source.name.as_str();
            let relative = match &name {
                Some((of, relative)) if *of == file => relative,
                _ => &name.insert((file, relative_name(file, root))).1,
            };
            let key = fingerprint_key(relative, d);
            let occurrence = seen.entry(key.clone()).or_insert(0);
            *occurrence += 1;
            (key, *occurrence)
        })
        .collect();
    let hash = |(key, occurrence): &(Vec<u8>, u32)| hex_sha256(&[key, &occurrence.to_le_bytes()]);
    if keyed.len() >= 256 {
        keyed.par_iter().map(hash).collect()
    } else {
        keyed.iter().map(hash).collect()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line of human formats.
pub fn summary(totals: &Totals, out: &mut dyn Write) -> io::Result<()> {
    use crate::diagnostic::Severity;
    let stats = totals.stats;
    let total = totals.findings();
    let suppressed = match totals.suppressed {
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
            let n = totals.count(sev);
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

/// Display name, line and column of a label that points into another source of the run,
/// resolved through the report's [`crate::source_map::Sources`] (an empty name and 1:1 when the
/// table does not know the id).
#[must_use]
pub fn label_position(
    report: &crate::outcome::Report,
    file: crate::source_map::SourceId,
    span: crate::source::Span,
) -> (String, u32, u32) {
    report
        .sources
        .try_get(file)
        .map_or((String::new(), 1, 1), |entry| {
            let pos = entry.line_col(span.start);
            (entry.name.clone(), pos.line, pos.column)
        })
}
