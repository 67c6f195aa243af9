//! The one way to lint: a [`Linter`] is built once from resolved settings and owns what every
//! run shares (the policies, loaded once; the nodes of `--nodes`; whether the inventory is
//! wanted); it runs inputs into an [`Emitter`]. What a run learns (which exemptions and baseline
//! entries matched) is that run's own. The command line (every command), the language server,
//! `--fix`, coverage, the inventory, the benches and the tests all go through it.
//!
//! A run: discover and lint the files in parallel batches (a large file window by window when
//! the emitter writes as it goes), then standard input, then the configuration errors met on
//! the way, then the run-level (cross-file) checks over every file and stdin together, then
//! the unused suppressions. Formats that need the whole report first keep it inside their own
//! emitter (see [`crate::outcome::Collect`]), so every format sees the same findings.

use std::io;
use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Resolver, Settings};
use crate::cross;
use crate::diagnostic::Diagnostic;
use crate::engine::{self, SettingsSource};
use crate::fix;
use crate::outcome::{Collect, Emitter, FileReport, Outcome, Phase, Report};
use crate::policy;
pub use crate::remap::Derived;
use crate::rules;
use crate::settings::SettingsRef;
use crate::source::{SourceFile, Span};
use crate::stream::{self, Emit, Run};
use crate::suppress_stage::Tally;

/// What a run lints.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Files and directories, discovered in path order.
    pub paths: Vec<PathBuf>,
    /// Files linted with the others and seen by every scope of the run-level checks
    /// (`--namespaces`).
    pub shared: Vec<PathBuf>,
    /// Standard input (after the paths).
    pub stdin: Option<Stdin>,
    /// Derived texts (rendered charts, built overlays), after stdin: their findings are
    /// reported in the files they map to.
    pub derived: Vec<std::sync::Arc<Derived>>,
    /// Files the walk leaves to a derived input (a chart's files, what a kustomization uses).
    pub skip: std::sync::Arc<crate::discover::Skip>,
    /// Reports made before the run (a chart or overlay that could not be rendered).
    pub prepared: Vec<crate::input::Problem>,
    /// The run's one table of sources: the files of the run are registered in it as they are
    /// checked together, and a derived text's map points into it (a renderer registers the
    /// chart's or overlay's files here before it builds the map). Labels name sources by id in
    /// it; every batch the run hands over carries it, and emitters resolve labels through it.
    pub sources: std::sync::Arc<crate::source_map::Sources>,
    /// Apply excludes to files named explicitly too (pre-commit passes files).
    pub force_exclude: bool,
    /// Report exemptions that silenced nothing and stale baseline entries, last.
    pub unused_suppressions: bool,
}

impl Inputs {
    /// Discover and lint `paths`.
    #[must_use]
    pub fn paths(paths: &[PathBuf]) -> Self {
        Self {
            paths: paths.to_vec(),
            ..Self::default()
        }
    }
}

/// Standard input to lint (or any in-memory text that joins a run).
#[derive(Clone, Debug)]
pub struct Stdin {
    /// The name to report (`--stdin-filename`, else `<stdin>`).
    pub name: String,
    pub bytes: Vec<u8>,
    /// The path whose configuration applies (`--stdin-filename`).
    pub settings_path: Option<PathBuf>,
}

/// A file of a run, read for a command that reads manifests without linting them
/// ([`Linter::read_each`]).
pub enum Read<'a> {
    /// Its text, and the settings that apply to it.
    Text(SourceFile, &'a Settings),
    /// Read but not decoded (not UTF-8, a binary file): where and why.
    Undecoded(crate::source::FileError),
    /// Not read: its name as displayed, and why.
    Unread { name: String, message: String },
}

/// The policies a linter uses: its own, or another's.
enum Policies<'s> {
    Own(policy::Cache),
    Shared(&'s policy::Cache),
}

/// What `--fix` / `--diff` does.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixOptions {
    /// Also apply fixes that change behaviour.
    pub unsafe_fixes: bool,
    /// Write the fixed files (atomically); without, collect unified diffs.
    pub write: bool,
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

/// A linter: resolved settings, and what is loaded once for them.
pub struct Linter<'s> {
    settings: &'s dyn SettingsSource,
    policies: Policies<'s>,
    /// The nodes of `--nodes`.
    cluster: Option<std::sync::Arc<crate::k8s::scheduling::Cluster>>,
    /// Index what `daemonlint inventory` shows.
    inventory: bool,
    options: stream::Options,
}

impl<'s> Linter<'s> {
    /// A linter with the settings of `settings` (one fixed set, or configuration discovery).
    #[must_use]
    pub fn new(settings: &'s dyn SettingsSource) -> Self {
        Self {
            settings,
            policies: Policies::Own(policy::Cache::default()),
            cluster: None,
            inventory: false,
            options: stream::Options::default(),
        }
    }

    /// Use policies loaded by an earlier linter (the language server keeps them until its
    /// configuration changes, and builds a linter for each document with its settings).
    #[must_use]
    pub fn with_policies(mut self, policies: &'s policy::Cache) -> Self {
        self.policies = Policies::Shared(policies);
        self
    }

    /// The cluster's nodes (`--nodes`): rules that can use real nodes name them.
    #[must_use]
    pub fn nodes(
        mut self,
        cluster: Option<std::sync::Arc<crate::k8s::scheduling::Cluster>>,
    ) -> Self {
        self.cluster = cluster;
        self
    }

    /// Index what `daemonlint inventory` shows of each DaemonSet (privileged containers, host
    /// namespaces, ports and paths, capabilities) for [`Linter::indexed`]; `check` has no use
    /// for it and skips the work.
    #[must_use]
    pub fn inventory(mut self, inventory: bool) -> Self {
        self.inventory = inventory;
        self
    }

    fn policies(&self) -> &policy::Cache {
        match &self.policies {
            Policies::Own(cache) => cache,
            Policies::Shared(cache) => cache,
        }
    }

    /// The files a plain walk of `paths` finds (no files named apart, nothing skipped).
    fn targets(&self, paths: &[PathBuf]) -> Vec<crate::discover::Target> {
        engine::targets(
            paths,
            self.settings,
            false,
            &[],
            &crate::discover::Skip::default(),
        )
    }

    /// What the files of a run share, with the run's suppression tally.
    fn shared<'a>(&'a self, tally: &'a Tally) -> engine::Shared<'a> {
        engine::Shared {
            policies: self.policies(),
            cluster: self.cluster.as_deref(),
            inventory: self.inventory,
            tally,
        }
    }

    /// Show suppressed findings too (`--show-suppressed`).
    #[must_use]
    pub fn show_suppressed(mut self, show: bool) -> Self {
        self.options.show_suppressed = show;
        self
    }

    /// Read files of at least `bytes` window by window (when the emitter streams), each
    /// window about that size (default 4 MiB).
    #[must_use]
    pub fn window(mut self, bytes: usize) -> Self {
        self.options.window = bytes;
        self
    }

    /// Lint one in-memory source (an editor buffer, a test) with the settings of `path`, and
    /// the run-level checks over its own objects.
    #[must_use]
    pub fn check_source(&self, source: SourceFile, path: Option<&Path>) -> FileReport {
        let settings = self.settings.for_path(path);
        let tally = Tally::default();
        let (report, index) = engine::lint_source_indexed(source, &settings, self.shared(&tally));
        engine::with_run_level(report, &index, &settings, &tally)
    }

    /// Lint `inputs` into `emitter`, then finish it.
    ///
    /// # Errors
    /// When the emitter cannot write.
    pub fn run(&self, inputs: &Inputs, emitter: &mut dyn Emitter) -> io::Result<Outcome> {
        let outcome = self.run_into(inputs, emitter, None)?;
        emitter.finish(&outcome)?;
        Ok(outcome)
    }

    /// The whole report of `inputs` (every file whole, run-level findings merged in).
    #[must_use]
    pub fn report(&self, inputs: &Inputs) -> Report {
        let mut collect = Collect::new();
        // Collecting writes nothing: it cannot fail.
        let _ = self.run_into(inputs, &mut collect, None);
        collect.into_report()
    }

    /// Apply the fixes of the run's findings file by file. With `options.write`, write the
    /// files and run `inputs` again into `emitter`, so every file's findings (the run-level
    /// ones too) are those of the fixed set; without, collect diffs and hand the findings as
    /// they are to `emitter`.
    ///
    /// # Errors
    /// When the emitter cannot write.
    pub fn fix(
        &self,
        inputs: &Inputs,
        options: FixOptions,
        emitter: &mut dyn Emitter,
    ) -> io::Result<(Outcome, FixSummary)> {
        let mut collect = Collect::new();
        let first = self.run_into(inputs, &mut collect, None)?;
        let mut report = collect.into_report();
        let mut summary = FixSummary::default();
        let mut failed: Vec<(PathBuf, Diagnostic)> = Vec::new();
        for file in &report.files {
            if file.io_error {
                continue;
            }
            let (text, applied) = self.fix_file(file, options.unsafe_fixes);
            if applied == 0 {
                continue;
            }
            if !options.write {
                summary.fixed += applied;
                summary.files += 1;
                summary.diffs.push(fix::unified_diff(
                    &file.source.name,
                    &file.source.text,
                    &text,
                ));
                continue;
            }
            let Some(path) = &file.path else { continue };
            match fix::write_atomic(path, &file.source.text, &text) {
                Ok(()) => {
                    summary.fixed += applied;
                    summary.files += 1;
                }
                // Nothing was written: the file keeps its findings, and says why.
                Err(e) => failed.push((
                    path.clone(),
                    engine::engine_diagnostic(&rules::IO_ERROR, Span::empty(0), 0, e.to_string()),
                )),
            }
        }
        if !options.write {
            let emit = Emit {
                emitter,
                totals: first.totals,
                amend: None,
            };
            let files = std::mem::take(&mut report.files);
            emit.emitter.batch(&mut Report { files, ..report })?;
            let outcome = Outcome {
                totals: emit.totals,
            };
            emit.emitter.finish(&outcome)?;
            return Ok((outcome, summary));
        }
        let mut amend = |file: &mut FileReport| {
            if let Some(at) = failed
                .iter()
                .position(|(p, _)| file.path.as_ref() == Some(p))
            {
                let (_, d) = failed.remove(at);
                file.diagnostics.insert(0, d);
                file.io_error = true;
            }
        };
        let outcome = self.run_into(inputs, emitter, Some(&mut amend))?;
        emitter.finish(&outcome)?;
        Ok((outcome, summary))
    }

    /// Fix one in-memory text (an editor's buffer piped through `check --fix -`): the text
    /// with every applicable fix applied.
    #[must_use]
    pub fn fix_text(&self, stdin: Stdin, unsafe_fixes: bool) -> String {
        let settings = self.settings.for_path(stdin.settings_path.as_deref());
        let tally = Tally::default();
        let (report, index) =
            engine::lint_bytes_indexed(&stdin.name, stdin.bytes, &settings, self.shared(&tally));
        let report = engine::with_run_level(report, &index, &settings, &tally);
        self.fix_file(&report, unsafe_fixes).0
    }

    /// The fixed text of one file and the number of fixes applied (the fix loop re-lints the
    /// file alone only to find the fixes that apply next).
    fn fix_file(&self, file: &FileReport, unsafe_fixes: bool) -> (String, usize) {
        if file.diagnostics.iter().any(|d| d.mapping.is_some()) {
            // Findings mapped from a derived text: its origin is not a manifest to lint again,
            // so one pass of the fixes that mapped exactly.
            let findings: Vec<&Diagnostic> = file.diagnostics.iter().collect();
            return fix::apply(&file.source.text, &findings, unsafe_fixes);
        }
        let settings = self.settings.for_path(file.path.as_deref());
        let name = &file.source.name;
        let passes =
            fix::apply_until_stable(&file.source.text, &file.diagnostics, unsafe_fixes, |text| {
                let tally = Tally::default();
                let source = SourceFile::new(name.clone(), text.to_string());
                let (report, index) =
                    engine::lint_source_indexed(source, &settings, self.shared(&tally));
                engine::with_run_level(report, &index, &settings, &tally).diagnostics
            });
        (passes.text, passes.applied)
    }

    /// The whole report of `paths` and the run-level index of each of its files, in order
    /// (what the inventory reads).
    #[must_use]
    pub fn indexed(&self, paths: &[PathBuf]) -> (Report, Vec<cross::FileIndex>) {
        use rayon::prelude::*;
        if let Some(report) = engine::broken_policies(self.settings, self.policies()) {
            return (report, Vec::new());
        }
        let targets = self.targets(paths);
        let tally = Tally::default();
        let shared = self.shared(&tally);
        let lint = |t: &crate::discover::Target| engine::lint_target(t, self.settings, shared);
        let (mut files, indexes): (Vec<FileReport>, Vec<cross::FileIndex>) = if targets.len() > 1 {
            targets.par_iter().map(lint).unzip()
        } else {
            targets.iter().map(lint).unzip()
        };
        let names: Vec<String> = files.iter().map(|f| f.source.name.clone()).collect();
        // Labels name the files by id; the report carries their names (positions are not read).
        let sources = crate::source_map::Sources::new();
        let ids: Vec<_> = names.iter().map(|n| sources.add(n.as_str(), "")).collect();
        let paths: Vec<Option<PathBuf>> = files.iter().map(|f| f.path.clone()).collect();
        let indexed: Vec<cross::Indexed<'_>> = indexes
            .iter()
            .enumerate()
            .map(|(i, index)| cross::Indexed {
                file: Some(i),
                name: &names[i],
                source: Some(ids[i]),
                index,
                shared: false,
                rendering: None,
            })
            .collect();
        let settings_of = |i: usize| {
            self.settings
                .for_path(paths.get(i).and_then(|p| p.as_deref()))
        };
        cross::check(&mut files, &indexed, &settings_of, &engine::stage(&tally));
        drop(indexed);
        (
            Report {
                files,
                sources: std::sync::Arc::new(sources),
                ..Report::default()
            },
            indexes,
        )
    }

    /// Exemptions that silenced nothing and stale baseline entries, once a run over `paths`
    /// that recorded its matches in `tally` is over.
    fn unused_suppressions(&self, paths: &[PathBuf], tally: &Tally) -> Vec<FileReport> {
        let in_play = self.settings.in_play();
        if in_play.is_empty() {
            return Vec::new();
        }
        let absolute = |p: &Path| {
            std::env::current_dir()
                .map(|cwd| cwd.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        // Directories walked whole (an exemption in a configuration file below one of them
        // selects nothing only when it is stale).
        let walked: Vec<PathBuf> = paths
            .iter()
            .filter(|p| p.as_os_str() != "-" && p.is_dir())
            .filter_map(|p| absolute(p).canonicalize().ok())
            .collect();
        let covers = |dir: &Path| {
            dir.canonicalize()
                .is_ok_and(|dir| walked.iter().any(|w| dir.starts_with(w)))
        };
        crate::suppress_stage::unused(&in_play, tally, &self.settings.for_path(None), &covers)
    }

    /// Read each file a run over `paths` would lint, as that run finds them (each file's
    /// configuration: includes, excludes, the size limit; the baseline file left out), for a
    /// command that reads manifests without linting them (`coverage`).
    pub fn read_each(&self, paths: &[PathBuf], each: &mut dyn FnMut(Read<'_>)) {
        let targets = self.targets(paths);
        for t in targets {
            if let Some(message) = t.error {
                each(Read::Unread {
                    name: t.display,
                    message,
                });
                continue;
            }
            let settings = self.settings.for_path(Some(&t.path));
            match crate::source::read(&t.path, &t.display, settings.max_file_size) {
                Ok((source, None)) => each(Read::Text(source, &settings)),
                Ok((source, Some(problem))) => each(Read::Undecoded(crate::source::FileError {
                    source: std::sync::Arc::new(source),
                    span: problem.span,
                    message: problem.message,
                })),
                Err(e) => each(Read::Unread {
                    name: t.display,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
    }

    /// Every phase of a run into `emitter` (not finished), with the totals.
    fn run_into<'e>(
        &self,
        inputs: &Inputs,
        emitter: &'e mut dyn Emitter,
        amend: Option<&'e mut dyn FnMut(&mut FileReport)>,
    ) -> io::Result<Outcome> {
        let show_suppressed = self.options.show_suppressed;
        let mut emit = Emit {
            emitter,
            totals: crate::outcome::Totals::default(),
            amend,
        };
        // A broken policy file stops the run: its findings, with spans into it, are the report.
        if let Some(mut report) = engine::broken_policies(self.settings, self.policies()) {
            report.show_suppressed = show_suppressed;
            emit.send(report)?;
            return Ok(Outcome {
                totals: emit.totals,
            });
        }
        let mut options = self.options;
        if !emit.emitter.streams() {
            // Read every file whole: the emitter keeps it anyway, and lists its DaemonSets.
            options.window = usize::MAX;
        }
        options.texts = emit.emitter.run_level_texts();
        let sources = std::sync::Arc::clone(&inputs.sources);
        let tally = Tally::default();
        let mut run = Run::new(
            self.settings,
            self.shared(&tally),
            options,
            std::sync::Arc::clone(&sources),
        );
        if !(inputs.paths.is_empty() && inputs.shared.is_empty()) {
            run.lint_paths(
                &inputs.paths,
                inputs.force_exclude,
                &inputs.shared,
                &inputs.skip,
                &mut emit,
            )?;
        }
        if let Some(stdin) = &inputs.stdin {
            run.lint_bytes(
                &stdin.name,
                stdin.bytes.clone(),
                stdin.settings_path.as_deref(),
                &mut emit,
            )?;
        }
        run.lint_derived_all(&inputs.derived, &mut emit)?;
        if !inputs.prepared.is_empty() {
            emit.send(Report {
                files: inputs
                    .prepared
                    .iter()
                    .map(crate::input::Problem::report)
                    .collect(),
                show_suppressed,
                ..Report::default()
            })?;
        }
        let errors = self.settings.take_errors();
        if !errors.is_empty() {
            emit.send(Report {
                files: errors,
                show_suppressed,
                config_error: true,
                phase: Phase::Config,
                sources: std::sync::Arc::clone(&sources),
            })?;
        }
        run.finish(&mut emit)?;
        if inputs.unused_suppressions {
            let unused = self.unused_suppressions(&inputs.paths, &tally);
            if !unused.is_empty() {
                emit.send(Report {
                    files: unused,
                    show_suppressed,
                    phase: Phase::Unused,
                    sources: std::sync::Arc::clone(&sources),
                    ..Report::default()
                })?;
            }
        }
        Ok(Outcome {
            totals: emit.totals,
        })
    }
}

/// [`check_with`] with a compiled policy set (the policies' unit tests).
#[cfg(test)]
pub(crate) fn check_with_set(
    source: SourceFile,
    settings: &Settings,
    set: &policy::PolicySet,
) -> FileReport {
    let (policies, tally) = (policy::Cache::default(), Tally::default());
    let checks = engine::Checks {
        settings,
        policies: set,
        shared: engine::Shared {
            policies: &policies,
            cluster: None,
            inventory: false,
            tally: &tally,
        },
    };
    let (report, index) = engine::lint_source_indexed_with(source, checks);
    engine::with_run_level(report, &index, settings, &tally)
}

impl SettingsSource for Resolver {
    fn for_path(&self, path: Option<&Path>) -> SettingsRef<'_> {
        SettingsRef::Shared(self.shared_for(path))
    }

    fn take_errors(&self) -> Vec<FileReport> {
        config_reports(Resolver::take_errors(self))
    }

    fn in_play(&self) -> crate::settings::exemptions::InPlay {
        Resolver::in_play(self)
    }
}

/// Configuration errors as file reports, so every format shows them with their spans.
#[must_use]
pub fn config_reports(errors: Vec<ConfigError>) -> Vec<FileReport> {
    let mut files: Vec<FileReport> = Vec::new();
    for e in errors {
        let d = e.to_diagnostic();
        match files.iter_mut().find(|f| f.source.name == e.source.name) {
            Some(f) => f.diagnostics.push(d),
            None => files.push(FileReport::findings(
                SourceFile::new(e.source.name.clone(), e.source.text.clone()),
                vec![d],
            )),
        }
    }
    files
}
