//! Charts and overlays in the editor: a document of a Helm chart lints the rendered chart, a
//! file a kustomization uses lints the overlays built from it; the findings are mapped back
//! (the same [`crate::remap::remap`] as the command line) and published to every file they
//! land in.
//!
//! - A chart is copied to a temporary directory with the unsaved buffers of its open documents
//!   written over their files, rendered with `helm template` (with a timeout), linted, and its
//!   findings published to each affected document (templates, values files). A change waits
//!   for the render debounce (500 ms by default) since rendering is slower than linting.
//! - Kustomize reads from disk: a base, patch or kustomization is built through its overlays
//!   when it is opened or saved (unsaved edits are not seen until then); it is never linted as
//!   a standalone object (a patch is not a whole DaemonSet).
//! - A missing tool or a failed render is one `io-error` diagnostic at the place the tool
//!   names, or on line 1 of the document.
//!
//! Rendering runs on the message loop's thread (the server has no worker thread); the render
//! timeout bounds how long the loop waits.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::server::Server;
use super::*;
use crate::remap::{remap, Derived};
use crate::render::{helm, kustomize, RenderError};
use crate::source_map::{SourceId, Sources};

/// The rule id of a diagnostic saying a chart or overlay could not be rendered: the same
/// registered `io-error` the command line reports it under.
pub const RENDER_ERROR: &str = "io-error";

/// How a document is linted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// As a manifest of its own.
    Plain,
    /// Through the chart in this directory.
    Chart(PathBuf),
    /// Through the kustomize overlays that use it.
    Kustomize,
}

/// Findings of one file, with the file's text (spans are offsets into it).
struct FileFindings {
    path: PathBuf,
    text: Arc<str>,
    diagnostics: Vec<Diagnostic>,
    /// The other files the labels point into (by id in the pass's one table of sources), with
    /// their real paths and texts.
    others: Vec<(SourceId, PathBuf, Arc<str>)>,
}

/// Directories skipped when looking for kustomizations in the workspace.
const SKIPPED_DIRS: &[&str] = &["node_modules", "target", "vendor"];
/// At most this many directories are looked at for kustomizations.
const MAX_SCANNED_DIRS: usize = 5_000;

impl Server {
    /// How the document at `path` is linted.
    pub(super) fn target_of(&mut self, path: Option<&Path>) -> Target {
        let Some(path) = path else {
            return Target::Plain;
        };
        if self.is_config(Some(path)) {
            return Target::Plain;
        }
        if let Some(chart) = helm::chart_of(path) {
            return Target::Chart(chart);
        }
        let yaml = path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            || kustomize::is_kustomization_file(path);
        if yaml && !self.kustomize_tree(path).entries_using(path).is_empty() {
            return Target::Kustomize;
        }
        Target::Plain
    }

    /// The kustomizations around `path`: those under the workspace root, or, outside it and
    /// when the file's own directory is a kustomization, under the file's great-grandparent
    /// directory (never the whole disk for a stray file). Kept until a file is saved or a
    /// watched file changes.
    fn kustomize_tree(&mut self, path: &Path) -> Arc<kustomize::Tree> {
        let root = self
            .root
            .as_deref()
            .filter(|root| path.starts_with(root))
            .map(Path::to_path_buf)
            .or_else(|| {
                let dir = path.parent()?;
                kustomize::kustomization_file(dir)?;
                path.ancestors().nth(3).map(Path::to_path_buf)
            });
        let Some(root) = root else {
            return Arc::default();
        };
        if let Some(tree) = self.kustomize_trees.get(&root) {
            return Arc::clone(tree);
        }
        let mut dirs = Vec::new();
        let mut queue = vec![root.clone()];
        let mut seen = 0;
        while let Some(dir) = queue.pop() {
            seen += 1;
            if seen > MAX_SCANNED_DIRS {
                break;
            }
            if kustomize::kustomization_file(&dir).is_some() {
                dirs.push(dir.clone());
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref()) {
                    continue;
                }
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    queue.push(entry.path());
                }
            }
        }
        let tree = Arc::new(kustomize::scan(&dirs));
        self.kustomize_trees.insert(root, Arc::clone(&tree));
        tree
    }

    /// Lint the chart in `chart` with the buffers of its open documents; `trigger` is the
    /// document that asked.
    pub(super) fn lint_chart(&mut self, chart: &Path, trigger: &str) {
        for doc in self.documents.values_mut() {
            if doc.path.as_deref().is_some_and(|p| p.starts_with(chart)) {
                doc.due = None;
            }
        }
        let files = self.render_chart(chart, trigger);
        let in_chart: Vec<String> = self
            .documents
            .iter()
            .filter(|(_, d)| d.path.as_deref().is_some_and(|p| p.starts_with(chart)))
            .map(|(k, _)| k.clone())
            .collect();
        self.publish_rendered(&format!("helm:{}", chart.display()), files, &in_chart);
    }

    fn render_chart(&self, chart: &Path, trigger: &str) -> Vec<FileFindings> {
        match self.try_render_chart(chart, trigger) {
            Ok(files) => files,
            Err(error) => {
                vec![self.error_findings(
                    &error,
                    &Sources::new(),
                    &|n: &str| PathBuf::from(n),
                    trigger,
                )]
            }
        }
    }

    fn try_render_chart(
        &self,
        chart: &Path,
        trigger: &str,
    ) -> Result<Vec<FileFindings>, RenderError> {
        let scratch = tempfile::Builder::new()
            .prefix("daemonlint-lsp-")
            .tempdir()
            .map_err(|e| RenderError::new(format!("cannot make a temporary directory: {e}")))?;
        let name = chart.file_name().unwrap_or(std::ffi::OsStr::new("chart"));
        let copy = scratch.path().join(name);
        copy_dir(chart, &copy, 0).map_err(|e| {
            RenderError::new(format!(
                "cannot copy the chart `{}` to render it: {e}",
                chart.display()
            ))
        })?;
        for doc in self.documents.values() {
            let Some(rel) = doc.path.as_deref().and_then(|p| p.strip_prefix(chart).ok()) else {
                continue;
            };
            std::fs::write(copy.join(rel), &doc.text).map_err(|e| {
                RenderError::new(format!(
                    "cannot write the buffer of `{}`: {e}",
                    rel.display()
                ))
            })?;
        }
        let sources = Arc::new(Sources::new());
        let settings = self.settings_for_path(chart);
        // As `check` renders it: the configuration's release and namespace, and once per value
        // set it names for this chart (values files inside the chart read from the copy, so
        // that their unsaved buffers count).
        let base = helm::HelmOptions {
            helm: self.helm.clone(),
            timeout: self.options.render_timeout,
            ..helm::HelmOptions::default()
        };
        let base = helm::HelmOptions {
            release: settings.render.release.clone().unwrap_or(base.release),
            namespace: settings.render.namespace.clone(),
            ..base
        };
        let canonical_chart = canonical(chart);
        let in_copy = |file: &Path| -> PathBuf {
            canonical(file)
                .strip_prefix(&canonical_chart)
                .map_or_else(|_| file.to_path_buf(), |rel| copy.join(rel))
        };
        let mut runs: Vec<helm::HelmOptions> = settings
            .render
            .value_sets
            .iter()
            .filter(|(set_chart, ..)| canonical_eq(set_chart, &canonical_chart))
            .map(|(_, name, files)| helm::HelmOptions {
                values: files.iter().map(|f| in_copy(f)).collect(),
                set: Some(name.clone()),
                ..base.clone()
            })
            .collect();
        if runs.is_empty() {
            runs.push(base);
        }
        let translate = |name: &str| -> PathBuf {
            Path::new(name)
                .strip_prefix(&copy)
                .map_or_else(|_| PathBuf::from(name), |rel| chart.join(rel))
        };
        let mut files = Vec::new();
        for options in &runs {
            match helm::render_chart(&copy, options, &sources) {
                Ok(r) => files.extend(self.lint_derived(
                    &r.rendered,
                    &sources,
                    chart,
                    &settings,
                    &translate,
                )),
                Err(mut error) => {
                    error.message = error
                        .message
                        .replace(&copy.display().to_string(), &chart.display().to_string());
                    let missing = error.missing_tool;
                    files.push(self.error_findings(&error, &sources, &translate, trigger));
                    if missing {
                        // The other value sets would say the same.
                        break;
                    }
                }
            }
        }
        Ok(files)
    }

    /// Lint a rendered text and map its findings to their files.
    fn lint_derived(
        &self,
        rendered: &crate::render::Rendered,
        sources: &Arc<Sources>,
        settings_path: &Path,
        settings: &Settings,
        translate: &dyn Fn(&str) -> PathBuf,
    ) -> Vec<FileFindings> {
        let entry = sources.get(rendered.source);
        let derived = Derived {
            name: entry.name.clone(),
            text: entry.text.to_string(),
            map: Arc::clone(&rendered.map),
            render: Some(rendered.info.clone()),
            settings_path: Some(settings_path.to_path_buf()),
        };
        let linter = self.options.linter;
        let source = SourceFile::new(derived.name.clone(), derived.text.clone());
        let report = match catch_unwind(AssertUnwindSafe(|| {
            linter(source, settings, &self.policies)
        })) {
            Ok(report) => report,
            Err(payload) => {
                return vec![FileFindings {
                    path: settings_path.to_path_buf(),
                    text: Arc::from(""),
                    diagnostics: vec![Diagnostic::new(
                        INTERNAL_ERROR,
                        Severity::Error,
                        Span::empty(0),
                        format!(
                            "daemonlint crashed while linting the rendered `{}` ({})",
                            settings_path.display(),
                            panic_text(&*payload)
                        ),
                    )],
                    others: Vec::new(),
                }]
            }
        };
        let mut out = Vec::new();
        for file in remap(report, &derived, sources) {
            let diagnostics: Vec<Diagnostic> = file
                .diagnostics
                .into_iter()
                .filter(|d| d.suppressed.is_none())
                .collect();
            if diagnostics.is_empty() {
                continue;
            }
            let mut others = Vec::new();
            for d in &diagnostics {
                for id in d.labels.iter().filter_map(|l| l.file) {
                    if others.iter().any(|(n, _, _): &(SourceId, _, _)| *n == id) {
                        continue;
                    }
                    if let Some(entry) = sources.try_get(id) {
                        others.push((id, translate(&entry.name), entry.text.clone()));
                    }
                }
            }
            out.push(FileFindings {
                path: translate(&file.source.name),
                text: Arc::from(file.source.text.as_str()),
                diagnostics,
                others,
            });
        }
        out
    }

    /// One `io-error` diagnostic: at the origin the error names (its path translated),
    /// else on line 1 of the document that asked.
    fn error_findings(
        &self,
        error: &RenderError,
        sources: &Sources,
        translate: &dyn Fn(&str) -> PathBuf,
        trigger: &str,
    ) -> FileFindings {
        let diagnostic = |span| {
            Diagnostic::new(
                RENDER_ERROR,
                Severity::Error,
                span,
                format!("cannot render: {}", error.message),
            )
        };
        if let Some(origin) = error.origin {
            let entry = sources.get(origin.source);
            return FileFindings {
                path: translate(&entry.name),
                text: entry.text.clone(),
                diagnostics: vec![diagnostic(origin.span)],
                others: Vec::new(),
            };
        }
        let (path, text) = self.documents.get(trigger).map_or_else(
            || (PathBuf::new(), Arc::from("")),
            |d| {
                (
                    d.path.clone().unwrap_or_default(),
                    Arc::from(d.text.as_str()),
                )
            },
        );
        FileFindings {
            path,
            text,
            diagnostics: vec![diagnostic(Span::empty(0))],
            others: Vec::new(),
        }
    }

    /// Build every overlay that uses the file at `path` (from disk) and publish the findings.
    pub(super) fn lint_kustomize(&mut self, path: &Path, trigger: &str) {
        if let Some(doc) = self.documents.get_mut(trigger) {
            doc.due = None;
        }
        let tree = self.kustomize_tree(path);
        let entries = tree.entries_using(path);
        let sources = Arc::new(Sources::new());
        let options = kustomize::Options {
            kustomize: self.kustomize.clone(),
            kubectl: self.kubectl.clone(),
            timeout: self.options.render_timeout,
        };
        let same = |name: &str| PathBuf::from(name);
        let mut files: Vec<FileFindings> = Vec::new();
        for entry in &entries {
            let build = kustomize::build(entry, &entry.display().to_string(), &sources, &options);
            for error in build.errors {
                files.push(self.error_findings(&error, &sources, &same, trigger));
            }
            if let Some(rendered) = &build.rendered {
                let settings = self.settings_for_path(entry);
                files.extend(self.lint_derived(rendered, &sources, entry, &settings, &same));
            }
        }
        let key = format!(
            "kustomize:{}",
            entries
                .iter()
                .map(|e| e.display().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        self.publish_rendered(&key, files, &[trigger.to_string()]);
    }

    fn settings_for_path(&self, path: &Path) -> Settings {
        self.resolver
            .as_ref()
            .map_or_else(Settings::default, |r| r.settings_for(Some(path)))
    }

    /// Publish `files` (merged by file, duplicates dropped), an empty list to each of `always`
    /// without findings, and clear the files `key` published to last time and not now.
    fn publish_rendered(&mut self, key: &str, files: Vec<FileFindings>, always: &[String]) {
        let mut merged: Vec<FileFindings> = Vec::new();
        for file in files {
            let canonical = canonical(&file.path);
            match merged
                .iter_mut()
                .find(|m| canonical_eq(&m.path, &canonical))
            {
                Some(m) => {
                    for d in file.diagnostics {
                        if !m
                            .diagnostics
                            .iter()
                            .any(|e| e.rule == d.rule && e.span == d.span && e.message == d.message)
                        {
                            m.diagnostics.push(d);
                        }
                    }
                    for other in file.others {
                        if !m.others.iter().any(|o| o.0 == other.0) {
                            m.others.push(other);
                        }
                    }
                }
                None => merged.push(file),
            }
        }
        let mut published: BTreeSet<String> = BTreeSet::new();
        for mut file in merged {
            file.diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
            let open = self.open_key(&file.path);
            let Some(uri) = open
                .as_ref()
                .and_then(|k| self.documents.get(k))
                .map(|d| d.uri.clone())
                .or_else(|| path_to_uri(&file.path))
            else {
                continue;
            };
            let encoding = self.encoding;
            let resolve = |id: SourceId| -> Option<(Uri, Arc<str>)> {
                let (_, path, text) = file.others.iter().find(|o| o.0 == id)?;
                Some((path_to_uri(path)?, Arc::clone(text)))
            };
            let (diagnostics, version) = match open.as_ref().and_then(|k| self.documents.get(k)) {
                Some(doc) => (
                    file.diagnostics
                        .iter()
                        .map(|d| to_lsp_mapped(encoding, &uri, &doc.text, &doc.index, d, &resolve))
                        .collect(),
                    doc.version,
                ),
                None => {
                    let index = LineIndex::new(&file.text);
                    (
                        file.diagnostics
                            .iter()
                            .map(|d| to_lsp_mapped(encoding, &uri, &file.text, &index, d, &resolve))
                            .collect(),
                        None,
                    )
                }
            };
            if let Some(doc) = open.as_ref().and_then(|k| self.documents.get_mut(k)) {
                doc.findings = std::mem::take(&mut file.diagnostics);
            }
            published.insert(uri.as_str().to_string());
            self.publish(uri, diagnostics, version);
        }
        for key in always {
            if published.contains(key) {
                continue;
            }
            if let Some(doc) = self.documents.get_mut(key) {
                doc.findings.clear();
                let (uri, version) = (doc.uri.clone(), doc.version);
                published.insert(uri.as_str().to_string());
                self.publish(uri, Vec::new(), version);
            }
        }
        let stale = self
            .rendered_uris
            .insert(key.to_string(), published.clone())
            .unwrap_or_default();
        for uri in stale.difference(&published) {
            if let Some(doc) = self.documents.get_mut(uri) {
                // Linted on its own since (another chart or overlay may have published there).
                if doc.findings.is_empty() {
                    continue;
                }
                doc.findings.clear();
            }
            if let Ok(uri) = Uri::from_str(uri) {
                let version = self.documents.get(uri.as_str()).and_then(|d| d.version);
                self.publish(uri, Vec::new(), version);
            }
        }
    }

    /// The key of the open document at `path`, if any.
    fn open_key(&self, path: &Path) -> Option<String> {
        let canonical = canonical(path);
        self.documents
            .iter()
            .find(|(_, d)| {
                d.path
                    .as_deref()
                    .is_some_and(|p| canonical_eq(p, &canonical))
            })
            .map(|(k, _)| k.clone())
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn canonical_eq(a: &Path, canonical_b: &Path) -> bool {
    a == canonical_b || canonical(a) == canonical_b
}

/// The URI and text of another file a label names (by its source name).
type Resolve<'a> = dyn Fn(SourceId) -> Option<(Uri, Arc<str>)> + 'a;

/// A diagnostic of a rendered chart or overlay, with its labels in other files as related
/// information in those files.
fn to_lsp_mapped(
    encoding: Encoding,
    uri: &Uri,
    text: &str,
    index: &LineIndex,
    d: &Diagnostic,
    resolve: &Resolve<'_>,
) -> lsp_types::Diagnostic {
    let mut out = to_lsp_parts(encoding, uri, text, index, d);
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            let (uri, range) = match &l.file {
                None => (uri.clone(), encoding.range(text, index, l.span)),
                Some(id) => {
                    let (uri, other) = resolve(*id)?;
                    let other_index = LineIndex::new(&other);
                    (uri, encoding.range(&other, &other_index, l.span))
                }
            };
            Some(DiagnosticRelatedInformation {
                location: Location { uri, range },
                message: l.message.clone(),
            })
        })
        .collect();
    out.related_information = (!related.is_empty()).then_some(related);
    out
}

/// Copy a chart directory (without `.git`), at most 16 levels deep.
fn copy_dir(from: &Path, to: &Path, depth: usize) -> std::io::Result<()> {
    if depth > 16 {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let kind = entry.file_type()?;
        let (src, dst) = (entry.path(), to.join(&name));
        if kind.is_dir() {
            copy_dir(&src, &dst, depth + 1)?;
        } else if kind.is_file() || src.is_file() {
            std::fs::copy(&src, &dst)?;
        } else if src.is_dir() {
            copy_dir(&src, &dst, depth + 1)?;
        }
    }
    Ok(())
}
