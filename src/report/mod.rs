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
use crate::Report;

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
    if Stream::supports(format) {
        let mut stream = Stream::new(format, options, out)?;
        stream.batch(report)?;
        stream.finish()?;
        return Ok(());
    }
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

/// What a run found, counted report by report: the closing summaries and the exit code need
/// only these, so a streamed run does not keep its findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub stats: crate::Stats,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings silenced by suppressions.
    pub suppressed: usize,
    /// A file could not be read.
    pub io_error: bool,
    /// A configuration or policy file was broken.
    pub config_error: bool,
}

impl Totals {
    #[must_use]
    pub fn of(report: &Report) -> Self {
        let mut totals = Self::default();
        totals.add(report);
        totals
    }

    /// Count the files and findings of `report` too.
    pub fn add(&mut self, report: &Report) {
        use crate::diagnostic::Severity;
        self.stats += report.stats();
        self.io_error |= report.files.iter().any(|f| f.io_error);
        self.config_error |= report.config_error;
        for d in report.files.iter().flat_map(|f| &f.diagnostics) {
            if d.suppressed.is_some() {
                self.suppressed += 1;
                continue;
            }
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    /// Findings that are not suppressed.
    #[must_use]
    pub fn findings(&self) -> usize {
        self.errors + self.warnings + self.infos
    }

    #[must_use]
    pub fn count(&self, severity: crate::diagnostic::Severity) -> usize {
        use crate::diagnostic::Severity;
        match severity {
            Severity::Error => self.errors,
            Severity::Warning => self.warnings,
            Severity::Info => self.infos,
        }
    }

    /// 0 clean, 1 findings at or above the threshold, 2 a file could not be read or a
    /// configuration file is broken.
    #[must_use]
    pub fn exit_code(&self, fail_on: crate::config::FailOn) -> i32 {
        use crate::diagnostic::Severity;
        if self.config_error || self.io_error {
            2
        } else if [Severity::Error, Severity::Warning, Severity::Info]
            .into_iter()
            .any(|s| self.count(s) > 0 && fail_on.fails(s))
        {
            1
        } else {
            0
        }
    }
}

/// An output written report by report, as the files of a run are linted (see
/// [`crate::stream`]): the formats whose documents need nothing up front that only the end of
/// the run knows. The others (SARIF, JUnit, Checkstyle, GitLab, GitHub with its job summary)
/// are written whole by [`emit`].
pub struct Stream<'a> {
    format: OutputFormat,
    options: RenderOptions<'a>,
    out: &'a mut dyn Write,
    totals: Totals,
    /// No finding written yet (JSON separates them with commas).
    first: bool,
}

impl<'a> Stream<'a> {
    /// Whether `format` can be written report by report.
    #[must_use]
    pub fn supports(format: OutputFormat) -> bool {
        matches!(
            format,
            OutputFormat::Json | OutputFormat::Concise | OutputFormat::Full
        )
    }

    /// Start the output (`format` must be one [`Stream::supports`]).
    pub fn new(
        format: OutputFormat,
        options: RenderOptions<'a>,
        out: &'a mut dyn Write,
    ) -> io::Result<Self> {
        if format == OutputFormat::Json {
            json::begin(out)?;
        }
        Ok(Self {
            format,
            options,
            out,
            totals: Totals::default(),
            first: true,
        })
    }

    /// Write the findings of `report` (a part of the run: labels may point only into its own
    /// files).
    pub fn batch(&mut self, report: &Report) -> io::Result<()> {
        self.totals.add(report);
        match self.format {
            OutputFormat::Json => json::batch(report, &mut self.first, self.out),
            OutputFormat::Full => full::emit(report, self.options, self.out),
            _ => concise::emit(report, self.options, self.out),
        }
    }

    /// Close the output with the summary, and give the totals.
    pub fn finish(self) -> io::Result<Totals> {
        match self.format {
            OutputFormat::Json => json::end(&self.totals, self.out)?,
            _ if self.options.summary => summary(&self.totals, self.out)?,
            _ => {}
        }
        Ok(self.totals)
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
    use crate::suppress_stage::{fingerprint_key, hex_sha256};
    let mut seen: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
    report
        .diagnostics()
        .map(|(file, d)| {
            let key = fingerprint_key(&relative_name(&file.source.name, root), d);
            let occurrence = seen.entry(key.clone()).or_insert(0);
            *occurrence += 1;
            hex_sha256(&[&key, &occurrence.to_le_bytes()])
        })
        .collect()
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
