//! What a run produces and where it goes: the findings of each file ([`FileReport`]), the
//! batches a run hands over ([`Report`]), the totals the exit code is read from ([`Totals`],
//! [`Outcome`]) and the one [`Emitter`] trait every output format implements.

use std::io;

use crate::diagnostic::Diagnostic;
use crate::settings as config;

pub use crate::findings::{FileReport, LintedObject, Stats};

/// Which part of a run a [`Report`] batch holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// Files as they are linted, each with its own findings (a large file read in windows
    /// comes as several reports of the same file, in order).
    #[default]
    Files,
    /// Errors of configuration files met during the run (whole reports put them first).
    Config,
    /// The run-level (cross-file) findings, once every file is linted: reports of files
    /// already handed over, with only these findings (whole reports merge them in).
    RunLevel,
    /// Unused suppressions and stale baseline entries, last.
    Unused,
}

/// The findings of a whole run, or one batch of it (see [`Phase`]).
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    /// Show suppressed findings too (`--show-suppressed`).
    pub show_suppressed: bool,
    /// A configuration or policy file was broken (exit code 2).
    pub config_error: bool,
    /// The part of the run this batch holds.
    pub phase: Phase,
    /// The run's sources: where emitters resolve the file, line and column of a label that
    /// points into another source ([`crate::diagnostic::Label::file`]).
    pub sources: std::sync::Arc<crate::source_map::Sources>,
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
        Totals::of(self).exit_code(fail_on)
    }
}

/// What a run found, counted report by report: the closing summaries and the exit code need
/// only these, so a streamed run does not keep its findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub stats: Stats,
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
    pub fn exit_code(&self, fail_on: crate::settings::FailOn) -> i32 {
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

/// What a run ends with: its totals (the exit code is read from them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub totals: Totals,
}

impl Outcome {
    /// 0 clean, 1 findings at or above the threshold, 2 an unreadable file or a broken
    /// configuration.
    #[must_use]
    pub fn exit_code(&self, fail_on: config::FailOn) -> i32 {
        self.totals.exit_code(fail_on)
    }
}

/// Where a run's findings go: one implementation per output format (in `report`), a
/// [`Collect`] that keeps the whole report, or several at once ([`Tee`]).
///
/// A run calls [`Emitter::batch`] as files are linted (in path order), then with the
/// configuration errors, the run-level findings and the unused suppressions (see [`Phase`]),
/// and [`Emitter::finish`] once at the end. Labels of a batch point only into its own files.
pub trait Emitter {
    /// Write a batch of the run, or keep it: an emitter that keeps files takes them out of
    /// `batch.files` (the run has counted them already).
    fn batch(&mut self, batch: &mut Report) -> io::Result<()>;
    /// The run is over.
    fn finish(&mut self, outcome: &Outcome) -> io::Result<()>;
    /// Whether the emitter writes as the run goes, so a large file may be handed over window
    /// by window (memory stays flat). An emitter that keeps the whole report says no, and
    /// gets each file whole.
    fn streams(&self) -> bool {
        true
    }

    /// Whether the reports of the run-level phase must carry their files' texts (an emitter
    /// that writes them does; one that merges them into the files it keeps does not, and the
    /// run then does not read the files again).
    fn run_level_texts(&self) -> bool {
        true
    }
}

/// An emitter that keeps the whole report: configuration errors first, then the files in
/// run order with their run-level findings merged in, then unused suppressions (what formats
/// written whole, `--write-baseline` and the tests read).
#[derive(Debug, Default)]
pub struct Collect {
    report: Report,
    /// Configuration error reports at the front of `report.files`.
    config_files: usize,
}

impl Collect {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The report kept so far.
    #[must_use]
    pub fn report(&self) -> &Report {
        &self.report
    }

    #[must_use]
    pub fn into_report(self) -> Report {
        self.report
    }
}

impl Emitter for Collect {
    fn batch(&mut self, batch: &mut Report) -> io::Result<()> {
        self.report.show_suppressed |= batch.show_suppressed;
        self.report.config_error |= batch.config_error;
        if !batch.sources.is_empty() {
            self.report.sources = std::sync::Arc::clone(&batch.sources);
        }
        let files = std::mem::take(&mut batch.files);
        match batch.phase {
            Phase::Files | Phase::Unused => self.report.files.extend(files),
            Phase::Config => {
                let at = self.config_files;
                self.config_files += files.len();
                self.report.files.splice(at..at, files);
            }
            Phase::RunLevel => {
                // The reports come in run order, as the files did: each search starts where
                // the last one ended.
                let mut cursor = self.config_files;
                for mut found in files {
                    // The file of the same name and path (stdin may share a file's name).
                    let kept = &self.report.files;
                    let at = (cursor..kept.len())
                        .chain(self.config_files..cursor)
                        .find(|&i| {
                            kept[i].source.name == found.source.name && kept[i].path == found.path
                        });
                    match at {
                        Some(i) => {
                            cursor = i;
                            let own = &mut self.report.files[i];
                            if found.diagnostics.is_empty() {
                                continue;
                            }
                            own.diagnostics.append(&mut found.diagnostics);
                            // Stable: the file's own findings stay before run-level ones at
                            // the same place, as when the run-level checks append to it.
                            own.diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
                        }
                        None => self.report.files.push(found),
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, _outcome: &Outcome) -> io::Result<()> {
        Ok(())
    }

    fn streams(&self) -> bool {
        false
    }

    fn run_level_texts(&self) -> bool {
        false
    }
}

/// Two emitters fed the same run (`--output-file` beside the terminal's report). The first
/// must not keep files (it writes them as they come); the second may.
pub struct Tee<'a>(pub &'a mut dyn Emitter, pub &'a mut dyn Emitter);

impl Emitter for Tee<'_> {
    fn batch(&mut self, batch: &mut Report) -> io::Result<()> {
        self.0.batch(batch)?;
        self.1.batch(batch)
    }

    fn finish(&mut self, outcome: &Outcome) -> io::Result<()> {
        self.0.finish(outcome)?;
        self.1.finish(outcome)
    }

    fn streams(&self) -> bool {
        self.0.streams() && self.1.streams()
    }

    fn run_level_texts(&self) -> bool {
        self.0.run_level_texts() || self.1.run_level_texts()
    }
}

/// An emitter that writes nothing (a run read only for its outcome).
#[derive(Debug, Default)]
pub struct Discard;

impl Emitter for Discard {
    fn batch(&mut self, _batch: &mut Report) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _outcome: &Outcome) -> io::Result<()> {
        Ok(())
    }

    fn run_level_texts(&self) -> bool {
        false
    }
}
