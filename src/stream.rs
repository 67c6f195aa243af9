//! Streamed runs: each batch of files, and each window of a large multi-document file, is
//! handed to the output as soon as it is linted and then dropped, so a run's memory stays flat
//! in the size of its input. Only the run-level index (a few hundred bytes per object) lives
//! for the whole run; the run-level findings, which need every file, come last.
//!
//! A large file is read in windows cut at document markers (`---` at column 0, as
//! [`crate::yaml::split_documents`] cuts a file for the threads). Each window is linted in
//! parallel parts like a whole file, and its spans and document numbers are made
//! file-relative, so the findings are the ones a whole-file run gives.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::engine::{self, SettingsSource};
use crate::outcome::{Emitter, FileReport, Phase, Report, Stats, Totals};
use crate::remap::{remap, Derived};
use crate::source::{SourceFile, Span};
use crate::source_map::{Segments, SourceId, Sources};
use crate::{cross, discover, rules, yaml};

/// Where finished reports go: the run's emitter, and the totals counted on the way.
pub(crate) struct Emit<'e> {
    pub emitter: &'e mut dyn Emitter,
    pub totals: Totals,
    /// Called on each file's own report before it is handed over (`--fix` adds the files it
    /// could not write).
    pub amend: Option<&'e mut dyn FnMut(&mut FileReport)>,
}

impl Emit<'_> {
    /// Count `report` and hand it to the emitter.
    pub fn send(&mut self, mut report: Report) -> io::Result<()> {
        if let (Phase::Files, Some(amend)) = (report.phase, self.amend.as_mut()) {
            for file in &mut report.files {
                amend(file);
            }
        }
        self.totals.add(&report);
        self.emitter.batch(&mut report)
    }
}

/// Tuning of a streamed run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// Files at least this large are read and linted window by window, and a window holds
    /// about this many bytes.
    pub window: usize,
    /// Show suppressed findings too (`--show-suppressed`).
    pub show_suppressed: bool,
    /// The run-level reports carry their files' texts (see
    /// [`crate::outcome::Emitter::run_level_texts`]).
    pub texts: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            window: 4 << 20,
            show_suppressed: false,
            texts: true,
        }
    }
}

/// Small files linted together (in parallel) before their findings are written.
const BATCH_FILES: usize = 64;
/// ... and at most about this many bytes of them.
const BATCH_BYTES: u64 = 8 << 20;

/// What the run-level phase needs of a linted file.
struct Linted {
    name: String,
    path: Option<PathBuf>,
    index: cross::FileIndex,
    /// The text of a source that cannot be read again (stdin).
    text: Option<String>,
    /// Read in windows: its DaemonSets are not in `index` (see [`crate::engine::Indexing`]).
    windowed: bool,
    /// Given with `--namespaces`: seen by every scope of the run-level checks.
    shared: bool,
    /// The path whose settings apply when it is not `path` (stdin's `--stdin-filename`).
    settings_path: Option<PathBuf>,
    /// A derived text: its findings are mapped to their origins before they are handed over.
    derived: Option<std::sync::Arc<Derived>>,
    /// Its id in the run's sources, when it got one while linted (a file read in windows).
    source: Option<SourceId>,
}

/// A streamed run: lint with [`Run::lint_paths`] and [`Run::lint_bytes`], then
/// [`Run::finish`] for the run-level findings.
pub(crate) struct Run<'a> {
    source: &'a dyn SettingsSource,
    shared: engine::Shared<'a>,
    options: Options,
    files: Vec<Linted>,
    /// The run's sources (see [`crate::session::Inputs::sources`]).
    sources: std::sync::Arc<Sources>,
}

impl<'a> Run<'a> {
    #[must_use]
    pub fn new(
        source: &'a dyn SettingsSource,
        shared: engine::Shared<'a>,
        options: Options,
        sources: std::sync::Arc<Sources>,
    ) -> Self {
        Self {
            source,
            shared,
            options,
            files: Vec::new(),
            sources,
        }
    }

    fn emit_files(&self, files: Vec<FileReport>, emit: &mut Emit<'_>) -> io::Result<()> {
        emit.send(Report {
            files,
            show_suppressed: self.options.show_suppressed,
            sources: std::sync::Arc::clone(&self.sources),
            ..Report::default()
        })
    }

    fn keep(&mut self, report: &FileReport, index: cross::FileIndex) {
        self.files.push(Linted {
            name: report.source.name.clone(),
            settings_path: None,
            path: report.path.clone(),
            index,
            text: None,
            windowed: false,
            shared: false,
            derived: None,
            source: None,
        });
    }

    /// Discover and lint files and directories (see [`crate::session::Linter::run`]), writing
    /// each batch out in path order.
    pub fn lint_paths(
        &mut self,
        paths: &[PathBuf],
        force_exclude: bool,
        extra: &[PathBuf],
        skip: &crate::discover::Skip,
        emit: &mut Emit<'_>,
    ) -> io::Result<()> {
        use rayon::prelude::*;
        let targets = engine::targets(paths, self.source, force_exclude, extra, skip);
        // An emitter that keeps the whole report reads every file whole: one parallel pass
        // over all of them, with no sizes to look up first.
        let whole = self.options.window == usize::MAX;
        let (batch_files, batch_bytes) = if whole {
            (usize::MAX, u64::MAX)
        } else {
            (BATCH_FILES, BATCH_BYTES)
        };
        // (target, size when it is a regular file); looked up in parallel, as the linting is.
        let size_of = |t: &discover::Target| {
            t.error
                .is_none()
                .then(|| std::fs::metadata(&t.path).ok())
                .flatten()
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
        };
        let sized: Vec<(&discover::Target, Option<u64>)> = if whole {
            targets.iter().map(|t| (t, None)).collect()
        } else if targets.len() > 1 {
            targets.par_iter().map(|t| (t, size_of(t))).collect()
        } else {
            targets.iter().map(|t| (t, size_of(t))).collect()
        };
        let window = self.options.window as u64;
        let mut rest = &sized[..];
        while let Some(&(target, size)) = rest.first() {
            if size.is_some_and(|s| s >= window) {
                self.lint_large(target, size.unwrap_or(0), emit)?;
                rest = &rest[1..];
                continue;
            }
            let mut bytes = 0;
            let count = rest
                .iter()
                .take(batch_files)
                .take_while(|(_, size)| {
                    let small = size.is_none_or(|s| s < window);
                    let fits = bytes < batch_bytes;
                    bytes += size.unwrap_or(0);
                    small && fits
                })
                .count()
                .max(1);
            let (batch, next) = rest.split_at(count);
            rest = next;
            let lint = |(t, _): &(&discover::Target, Option<u64>)| {
                engine::lint_target(t, self.source, self.shared)
            };
            let linted: Vec<(FileReport, cross::FileIndex)> = if batch.len() > 1 {
                batch.par_iter().map(lint).collect()
            } else {
                batch.iter().map(lint).collect()
            };
            let mut files = Vec::with_capacity(linted.len());
            for (report, index) in linted {
                self.keep(&report, index);
                if let Some(last) = self.files.last_mut() {
                    last.shared = last.path.as_ref().is_some_and(|p| extra.contains(p));
                }
                files.push(report);
            }
            self.emit_files(files, emit)?;
        }
        Ok(())
    }

    /// Lint an in-memory source (stdin), named `name`; its text is kept for the run-level
    /// findings, as it cannot be read again.
    pub fn lint_bytes(
        &mut self,
        name: &str,
        bytes: Vec<u8>,
        settings_path: Option<&Path>,
        emit: &mut Emit<'_>,
    ) -> io::Result<()> {
        let settings = self.source.for_path(settings_path);
        let (report, index) = engine::lint_bytes_indexed(name, bytes, &settings, self.shared);
        self.keep(&report, index);
        let text = report.source.text.clone();
        if let Some(last) = self.files.last_mut() {
            last.text = Some(text);
            last.settings_path = settings_path.map(Path::to_path_buf);
        }
        self.emit_files(vec![report], emit)
    }

    /// Lint every derived text, then hand over their findings together: a finding several
    /// renderings map to the same place is reported once (see [`crate::remap::merge_renderings`]).
    pub fn lint_derived_all(
        &mut self,
        derived: &[std::sync::Arc<Derived>],
        emit: &mut Emit<'_>,
    ) -> io::Result<()> {
        if derived.is_empty() {
            return Ok(());
        }
        let mut renderings = Vec::with_capacity(derived.len());
        for d in derived {
            let settings = self.source.for_path(d.settings_path.as_deref());
            let source = SourceFile::new(d.name.clone(), d.text.clone());
            let (report, index) = engine::lint_source_indexed(source, &settings, self.shared);
            self.keep(&report, index);
            if let Some(last) = self.files.last_mut() {
                last.text = Some(d.text.clone());
                last.settings_path.clone_from(&d.settings_path);
                last.derived = Some(std::sync::Arc::clone(d));
            }
            renderings.push((&**d, remap(report, d, &self.sources)));
        }
        let files = crate::remap::merge_renderings(renderings);
        self.emit_files(files, emit)
    }

    /// A large file, window by window; a file that is not plain UTF-8 (a BOM aside) is linted
    /// whole, as its diagnostics need the whole text.
    fn lint_large(
        &mut self,
        target: &discover::Target,
        size: u64,
        emit: &mut Emit<'_>,
    ) -> io::Result<()> {
        let settings = self.source.for_path(Some(&target.path));
        let loaded = self.shared.policies.get(&settings);
        // Over the size limit, the whole-file path says so without reading it; broken policies
        // are reported by it too.
        let policies = match &*loaded {
            Ok(policies)
                if size <= settings.max_file_size
                    && plain_utf8(&target.path, settings.max_file_size).unwrap_or(false) =>
            {
                policies
            }
            _ => {
                let (report, index) = engine::lint_target(target, self.source, self.shared);
                self.keep(&report, index);
                return self.emit_files(vec![report], emit);
            }
        };
        let mut windows = Windows::open(&target.path, self.options.window, settings.max_file_size);
        // Each window's text maps exactly into the file (see `Segments::window`).
        let file_id = self.sources.add(target.display.as_str(), "");
        let mut index = cross::FileIndex::default();
        let mut stats = Stats {
            files: 1,
            ..Stats::default()
        };
        let mut documents = 0;
        // The previous window, written out while the next one is linted.
        let mut pending: Option<FileReport> = None;
        loop {
            let window = match windows.next_window() {
                Ok(Some(w)) => w,
                Ok(None) => break,
                Err(e) => {
                    if let Some(report) = pending.take() {
                        self.emit_files(vec![report], emit)?;
                    }
                    // The file changed or failed while being read: say so, keep what was linted.
                    let d = Diagnostic::new(
                        rules::IO_ERROR.id,
                        rules::IO_ERROR.default_severity,
                        Span::empty(windows.offset_usize()),
                        format!("cannot read: {e}"),
                    );
                    let mut report = empty_report(&target.display, Some(&target.path));
                    report.diagnostics.push(d);
                    report.io_error = true;
                    report.stats = std::mem::take(&mut stats);
                    self.emit_files(vec![report], emit)?;
                    break;
                }
            };
            let Window {
                text,
                ranges,
                base_offset,
                base_line,
            } = window;
            let mut linted = None;
            let checks = engine::Checks {
                settings: &settings,
                policies,
                shared: self.shared,
            };
            let (slot, text_ref) = (&mut linted, &text);
            rayon::in_place_scope(|scope| {
                scope.spawn(move |_| {
                    *slot = Some(engine::lint_ranges(
                        text_ref,
                        ranges,
                        checks,
                        engine::Indexing::OtherObjects,
                    ));
                });
                pending
                    .take()
                    .map_or(Ok(()), |report| self.emit_files(vec![report], emit))
            })?;
            let Some((mut diagnostics, part_stats, mut part_index)) = linted else {
                continue;
            };
            // The window's findings in the file's offsets.
            let map = Segments::window(file_id, base_offset, text.len() as u32);
            for d in &mut diagnostics {
                crate::remap::within(d, &map);
                d.document += documents;
            }
            crate::suppress_stage::apply(
                &settings,
                self.shared.tally,
                &target.display,
                &[],
                &mut diagnostics,
            );
            part_index.shift(base_offset, documents);
            documents += part_stats.documents;
            // The DaemonSets are not indexed in this pass (see `engine::Indexing`): no emitter
            // that streams lists them.
            let mut report = FileReport::new(SourceFile::window(
                target.display.clone(),
                text,
                base_offset,
                base_line,
            ))
            .at(Some(target.path.clone()));
            report.diagnostics = diagnostics;
            report.stats = std::mem::take(&mut stats);
            report.stats += part_stats;
            index.append(part_index);
            pending = Some(report);
        }
        if let Some(report) = pending.take() {
            self.emit_files(vec![report], emit)?;
        }
        let mut report = empty_report(&target.display, Some(&target.path));
        if stats.files == 1 {
            // Nothing was read after all (the file was emptied meanwhile): still count it.
            report.stats = stats;
            self.emit_files(vec![report], emit)?;
            report = empty_report(&target.display, Some(&target.path));
        }
        self.keep(&report, index);
        if let Some(last) = self.files.last_mut() {
            last.windowed = true;
            last.source = Some(file_id);
        }
        Ok(())
    }

    /// The run-level checks over every file linted, their findings written last.
    pub fn finish(self, emit: &mut Emit<'_>) -> io::Result<()> {
        use rayon::prelude::*;
        // Each file's source in the run's table, which labels on its objects name. Its text is
        // given only if a label points into it (it is read again below).
        let ids: Vec<SourceId> = self
            .files
            .iter()
            .map(|f| {
                f.source
                    .unwrap_or_else(|| self.sources.add(f.name.as_str(), ""))
            })
            .collect();
        let indexed: Vec<cross::Indexed<'_>> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| cross::Indexed {
                file: Some(i),
                name: &f.name,
                source: Some(ids[i]),
                index: &f.index,
                shared: f.shared,
                rendering: f
                    .derived
                    .as_ref()
                    .and_then(|d| d.render.as_ref())
                    .and_then(|r| Some((r.entry.as_str(), r.set.as_deref()?))),
            })
            .collect();
        // Reports that only carry findings: the files were counted when linted.
        let mut reports: Vec<FileReport> = self
            .files
            .iter()
            .map(|f| {
                FileReport::findings(SourceFile::new(f.name.clone(), String::new()), Vec::new())
                    .at(f.path.clone())
            })
            .collect();
        let paths: Vec<Option<&Path>> = self
            .files
            .iter()
            .map(|f| f.settings_path.as_deref().or(f.path.as_deref()))
            .collect();
        let settings_of = |i: usize| self.source.for_path(paths.get(i).copied().flatten());
        let stage = engine::stage(self.shared.tally);
        cross::check(&mut reports, &indexed, &settings_of, &stage);
        // The DaemonSets of windowed files, indexed again window by window when they can
        // have findings at all (the scopes are computed again only for them).
        let windowed = self.files.iter().any(|f| f.windowed);
        let scopes = windowed.then(|| cross::Scopes::of(&indexed, &settings_of));
        for (i, (linted, report)) in self.files.iter().zip(&mut reports).enumerate() {
            let Some(scopes) = &scopes else { break };
            let Some(path) = linted.path.as_deref().filter(|_| linted.windowed) else {
                continue;
            };
            let settings = self.source.for_path(Some(path));
            let indexed = scopes.members(&indexed, i);
            if !cross::may_find(&indexed, &settings) {
                continue;
            }
            let mut windows = Windows::open(path, self.options.window, settings.max_file_size);
            let mut before = 0;
            // A read error was reported by the first pass.
            while let Ok(Some(window)) = windows.next_window() {
                let parts: Vec<(cross::FileIndex, usize)> = window
                    .ranges
                    .into_par_iter()
                    .map(|range| {
                        engine::index_range(&window.text, range, &settings, self.shared.inventory)
                    })
                    .collect();
                let mut index = cross::FileIndex::default();
                let mut documents = 0;
                for (mut part, count) in parts {
                    part.shift(0, documents);
                    documents += count;
                    index.append(part);
                }
                index.shift(window.base_offset, before);
                before += documents;
                report.diagnostics.extend(cross::check_daemonsets(
                    &index.daemonsets,
                    &linted.name,
                    Some(ids[i]),
                    &indexed,
                    &settings,
                    &stage,
                ));
            }
            report
                .diagnostics
                .sort_by_key(|d| (d.span.start, d.span.end));
        }
        // The files the findings are in, and the files their labels point into.
        let mut needed: Vec<bool> = reports.iter().map(|r| !r.diagnostics.is_empty()).collect();
        if !needed.contains(&true) {
            return Ok(());
        }
        let mut labelled = vec![false; ids.len()];
        for r in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
            for d in &r.diagnostics {
                for id in d.labels.iter().filter_map(|l| l.file) {
                    if let Some(i) = ids.iter().position(|&f| f == id) {
                        needed[i] = true;
                        labelled[i] = true;
                    }
                }
            }
        }
        let mut files = Vec::new();
        // The findings of derived texts, rendering by rendering: one a chart's value sets
        // share is reported once, naming them (as the files' own findings are).
        let mut renderings = Vec::new();
        for (i, ((mut report, linted), needed)) in
            reports.into_iter().zip(&self.files).zip(needed).enumerate()
        {
            if !needed {
                continue;
            }
            // The text again, for positions and excerpts; a file labels point into is read
            // for the run's sources even when the emitter keeps its texts (labels are
            // resolved there).
            let wanted = self.options.texts || labelled[i];
            let mut text = match (&linted.text, &linted.path) {
                _ if !wanted => String::new(),
                (Some(text), _) => text.clone(),
                (None, Some(path)) => {
                    let limit = self.source.for_path(Some(path)).max_file_size;
                    crate::source::read(path, &linted.name, limit)
                        .map(|(source, _)| source.text)
                        .unwrap_or_default()
                }
                (None, None) => String::new(),
            };
            if labelled[i] {
                self.sources.set_text(ids[i], text.as_str());
                if !self.options.texts {
                    text = String::new();
                }
            }
            report.source = SourceFile::new(linted.name.clone(), text);
            match &linted.derived {
                Some(derived) => {
                    renderings.push((&**derived, remap(report, derived, &self.sources)));
                }
                None => files.push(report),
            }
        }
        files.extend(crate::remap::merge_renderings(renderings));
        emit.send(Report {
            files,
            show_suppressed: self.options.show_suppressed,
            phase: Phase::RunLevel,
            sources: std::sync::Arc::clone(&self.sources),
            ..Report::default()
        })
    }
}

fn empty_report(name: &str, path: Option<&Path>) -> FileReport {
    FileReport::new(SourceFile::new(name, String::new())).at(path.map(Path::to_path_buf))
}

/// Whether a file is UTF-8 without NUL bytes near its start (a UTF-8 BOM allowed): what
/// [`crate::source::decode`] accepts without a diagnostic, checked without holding the file.
fn plain_utf8(path: &Path, limit: u64) -> io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut block = vec![0u8; 1 << 20];
    let mut carry = 0usize;
    let mut total = 0u64;
    let mut first = true;
    loop {
        let n = file.read(&mut block[carry..])?;
        if n == 0 {
            return Ok(carry == 0);
        }
        total += n as u64;
        if total > limit {
            return Ok(false);
        }
        let filled = carry + n;
        let mut start = 0;
        if first {
            first = false;
            if block[..filled].starts_with(b"\xEF\xBB\xBF") {
                start = 3;
            } else if block[..filled].starts_with(b"\xFF\xFE")
                || block[..filled].starts_with(b"\xFE\xFF")
            {
                return Ok(false);
            }
            let head = &block[start..filled.min(start + 8192)];
            if memchr::memchr(0, head).is_some() {
                return Ok(false);
            }
        }
        match std::str::from_utf8(&block[start..filled]) {
            Ok(_) => carry = 0,
            // An incomplete character at the end of the block: complete it with the next one.
            Err(e) if e.error_len().is_none() => {
                let valid = start + e.valid_up_to();
                block.copy_within(valid..filled, 0);
                carry = filled - valid;
            }
            Err(_) => return Ok(false),
        }
    }
}

/// Lines of context kept on either side of a window (excerpts show one).
const MARGIN_LINES: usize = 2;

/// The length of the first `n` whole lines of `bytes`.
fn nth_line_end(bytes: &[u8], n: usize) -> usize {
    memchr::memchr_iter(b'\n', bytes)
        .nth(n.saturating_sub(1))
        .map_or(0, |i| i + 1)
}

/// Where the last `n` lines of `bytes` (which ends with a line end, or is empty) start.
fn last_lines_start(bytes: &[u8], n: usize) -> usize {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    memchr::memrchr_iter(b'\n', body)
        .nth(n.saturating_sub(1))
        .map_or(0, |i| i + 1)
}

/// One window of a large file.
struct Window {
    text: String,
    /// Parts to lint in parallel, in `text` (which has a few lines of context around them).
    ranges: Vec<std::ops::Range<usize>>,
    /// File offset and 0-based line of `text`'s first byte.
    base_offset: u32,
    base_line: u32,
}

/// Reads a file window by window, each cut at a document marker.
struct Windows {
    file: io::Result<std::fs::File>,
    size: usize,
    limit: u64,
    /// Read but not yet linted (starts at a document marker, or is the file's start).
    pending: Vec<u8>,
    /// The last lines of the previous window.
    tail: String,
    eof: bool,
    started: bool,
    /// File offset (after a BOM) and line of `pending`'s first byte.
    offset: u64,
    line: u64,
    read: u64,
}

impl Windows {
    fn open(path: &Path, size: usize, limit: u64) -> Self {
        Self {
            file: std::fs::File::open(path),
            size: size.max(1),
            limit,
            pending: Vec::new(),
            tail: String::new(),
            eof: false,
            started: false,
            offset: 0,
            line: 0,
            read: 0,
        }
    }

    fn offset_usize(&self) -> usize {
        usize::try_from(self.offset).unwrap_or(usize::MAX)
    }

    /// Read until `pending` holds `want` bytes or the file ends.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
        while !self.eof && self.pending.len() < want {
            let need = (want - self.pending.len()) as u64;
            let n = file.by_ref().take(need).read_to_end(&mut self.pending)?;
            self.read += n as u64;
            if self.read > self.limit {
                return Err(io::Error::other(format!(
                    "the file grew over the {}-byte limit while being read",
                    self.limit
                )));
            }
            if n == 0 {
                self.eof = true;
            }
        }
        if !self.started {
            self.started = true;
            // Offsets count from after a UTF-8 BOM, as when the file is read whole.
            if self.pending.starts_with(b"\xEF\xBB\xBF") {
                self.pending.drain(..3);
            }
        }
        Ok(())
    }

    fn next_window(&mut self) -> io::Result<Option<Window>> {
        let parts = rayon::current_num_threads() * 4;
        let mut want = self.size;
        loop {
            self.fill(want)?;
            if self.pending.is_empty() && self.eof {
                return Ok(None);
            }
            // Only whole lines are cut (a marker is a whole line).
            let end = if self.eof {
                self.pending.len()
            } else {
                memchr::memrchr(b'\n', &self.pending).map_or(0, |i| i + 1)
            };
            let text = std::str::from_utf8(&self.pending[..end]).map_err(|e| {
                io::Error::other(format!(
                    "the file changed while being read (invalid UTF-8 at offset {})",
                    self.offset + e.valid_up_to() as u64
                ))
            })?;
            let mut ranges = yaml::split_documents(text, parts + 1);
            let cut = if self.eof {
                end
            } else {
                // The last part may continue past what was read: it starts the next window.
                let last = ranges.pop().map_or(0, |r| r.start);
                ranges.retain(|r| !r.is_empty());
                last
            };
            if cut == 0 {
                // No document marker yet: one document larger than a window.
                want = self.pending.len() + self.size;
                continue;
            }
            // The window's text, from what was just checked as UTF-8: the core to lint and a
            // few lines on either side, only for the excerpts of findings near the cut (a
            // whole-file run shows them as context); those are not linted.
            let core = &text[..cut];
            let lines = memchr::memchr_iter(b'\n', core.as_bytes()).count() as u64;
            let after = &text[cut..cut + nth_line_end(&text.as_bytes()[cut..], MARGIN_LINES)];
            let before = std::mem::take(&mut self.tail);
            let before_len = before.len();
            let before_lines = memchr::memchr_iter(b'\n', before.as_bytes()).count();
            let mut window_text = before;
            window_text.reserve(core.len() + after.len());
            window_text.push_str(core);
            window_text.push_str(after);
            self.tail = core[last_lines_start(core.as_bytes(), MARGIN_LINES)..].to_string();
            for r in &mut ranges {
                *r = r.start + before_len..r.end + before_len;
            }
            self.pending.drain(..cut);
            let window = Window {
                ranges,
                base_offset: u32::try_from(self.offset - before_len as u64).unwrap_or(u32::MAX),
                base_line: u32::try_from(self.line - before_lines as u64).unwrap_or(u32::MAX),
                text: window_text,
            };
            self.offset += cut as u64;
            self.line += lines;
            return Ok(Some(window));
        }
    }
}
