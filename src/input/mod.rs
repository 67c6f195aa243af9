//! The input stage: what the user named and what a directory walk meets become plain files to
//! lint, or renderings (Helm charts, Kustomize overlays) linted as derived texts whose findings
//! are mapped back to the files the user edits.
//!
//! - A directory holding `Chart.yaml` (named, or met by the walk) is rendered with `helm
//!   template`; none of its files is linted as plain YAML. A file named on the command line
//!   inside a chart (pre-commit passes `templates/ds.yaml` or `values.yaml`) renders its chart,
//!   once.
//! - Kustomizations met by the walk are scanned ([`kustomize::scan`]): the entry points (the
//!   overlays, and bases no overlay uses) are built, and every file a kustomization uses is left
//!   out of the plain walk, so a patch is never linted as a whole object. A kustomization named
//!   on the command line is always built.
//! - A rendering that fails is a finding where the tool says (rule `io-error`); a missing tool is
//!   an I/O error of the run (exit 2), the other inputs still linted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::discover::Skip;
use crate::outcome::FileReport;
use crate::remap::Derived;
use crate::render::helm::{self, HelmOptions};
use crate::render::kustomize;
use crate::render::{RenderError, Rendered};
use crate::source::{SourceFile, Span};
use crate::source_map::Sources;

/// A chart rendered several times, once per named list of values files (the configuration's
/// `helm.value-sets`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueSet {
    /// The chart directory (relative to the working directory, or absolute).
    pub chart: PathBuf,
    pub name: String,
    /// Values files in order, after the chart's `values.yaml`.
    pub values: Vec<PathBuf>,
}

/// How to render what the input stage finds.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Helm: binary, release, namespace, `--kube-version`, `--values`, `--set`, timeout.
    pub helm: HelmOptions,
    /// Charts rendered once per value set (each set's files come before `--values` files).
    pub value_sets: Vec<ValueSet>,
    /// Kustomize: `kubectl` or a `kustomize` binary, timeout.
    pub kustomize: kustomize::Options,
}

/// A report made by the input stage (a rendering that failed).
#[derive(Clone, Debug)]
pub struct Problem {
    pub name: String,
    pub text: String,
    pub path: Option<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
    /// A tool is missing: the run exits 2.
    pub io_error: bool,
}

impl Problem {
    /// As a file report of the run.
    #[must_use]
    pub fn report(&self) -> FileReport {
        let mut report = FileReport::findings(
            SourceFile::new(self.name.clone(), self.text.clone()),
            self.diagnostics.clone(),
        )
        .at(self.path.clone());
        report.io_error = self.io_error;
        report
    }
}

/// What the input stage gives the run.
#[derive(Debug, Default)]
pub struct Prepared {
    /// The paths to discover and lint as plain files (files inside a chart are taken out).
    pub paths: Vec<PathBuf>,
    /// What the walk leaves to a rendering.
    pub skip: Skip,
    /// One per rendering, in a stable order (charts, then overlays).
    pub derived: Vec<Arc<Derived>>,
    /// Renderings that failed.
    pub problems: Vec<Problem>,
    /// The messages of missing tools (once per tool), for the command line to print.
    pub missing_tools: Vec<String>,
    /// The table the renderings' maps point into: the run's one table of sources.
    pub sources: Arc<Sources>,
}

fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// `path` (canonical) relative to the working directory when it is below it.
fn relative_to_cwd(path: &Path) -> String {
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    match cwd
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
    {
        Some(rel) if rel.as_os_str().is_empty() => ".".into(),
        Some(rel) => display(&rel),
        None => display(path),
    }
}

/// Walk `dir` (respecting `.gitignore`, as discovery does) for charts and kustomizations.
fn walk(dir: &Path, charts: &mut Vec<PathBuf>, kustomizations: &mut Vec<PathBuf>) {
    let walker = ignore::WalkBuilder::new(dir)
        .follow_links(true)
        .sort_by_file_name(std::cmp::Ord::cmp)
        .build();
    for entry in walker.flatten() {
        let path = entry.path();
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            if helm::is_chart(path) && !charts.iter().any(|c| path.starts_with(c)) {
                charts.push(path.to_path_buf());
            }
        } else if kustomize::is_kustomization_file(path)
            && !charts.iter().any(|c| path.starts_with(c))
        {
            if let Some(parent) = path.parent() {
                kustomizations.push(parent.to_path_buf());
            }
        }
    }
}

/// The directory of a file (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Whether the kustomization beside `file` uses it (a resource, a patch).
fn used_by_its_kustomization(file: &Path) -> bool {
    let dir = parent_of(file);
    kustomize::kustomization_file(&dir).is_some() && kustomize::scan(&[dir]).uses(file)
}

/// Classify `paths` and render what must be rendered.
#[must_use]
pub fn prepare(paths: &[PathBuf], options: &Options) -> Prepared {
    let mut out = Prepared::default();
    let mut charts: Vec<PathBuf> = Vec::new();
    let mut walked_kusts: Vec<PathBuf> = Vec::new();
    let mut explicit_kusts: Vec<PathBuf> = Vec::new();
    let mut used_alone: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.paths.push(path.clone());
            continue;
        }
        if path.is_dir() {
            if let Some(chart) = helm::chart_of(path) {
                // A chart or a directory inside one: the chart is linted, rendered.
                charts.push(chart);
                continue;
            }
            if kustomize::kustomization_file(path).is_some() {
                explicit_kusts.push(path.clone());
            }
            walk(path, &mut charts, &mut walked_kusts);
            out.paths.push(path.clone());
        } else if let Some(chart) = path.is_file().then(|| helm::chart_of(path)).flatten() {
            charts.push(chart);
        } else if kustomize::is_kustomization_file(path) {
            explicit_kusts.push(parent_of(path));
        } else if path.is_file() && used_by_its_kustomization(path) {
            // A base or patch named alone (pre-commit passes the changed files): linted
            // through the overlays that use it, never as a whole object.
            used_alone.push(path.clone());
        } else {
            out.paths.push(path.clone());
        }
    }
    if !used_alone.is_empty() {
        let mut found = Vec::new();
        walk(Path::new("."), &mut Vec::new(), &mut found);
        found.extend(used_alone.iter().map(|p| parent_of(p)));
        let tree = kustomize::scan(&found);
        for file in &used_alone {
            let users = tree.entries_using(file);
            if users.is_empty() {
                explicit_kusts.push(parent_of(file));
            }
            explicit_kusts.extend(users);
        }
    }
    if charts.is_empty() && walked_kusts.is_empty() && explicit_kusts.is_empty() {
        return out;
    }
    let sources = Arc::clone(&out.sources);
    // Charts: once each, in the order met.
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    for chart in charts {
        let Ok(canonical) = chart.canonicalize() else {
            continue;
        };
        if !seen.insert(canonical.clone()) {
            continue;
        }
        out.skip.dirs.push(canonical.clone());
        let chart = PathBuf::from(display(&chart));
        render_chart(&chart, &canonical, options, &sources, &mut out);
    }
    // Kustomizations.
    let mut all = walked_kusts.clone();
    all.extend(explicit_kusts.iter().cloned());
    if all.is_empty() {
        return out;
    }
    let tree = kustomize::scan(&all);
    out.skip.files.extend(tree.used.iter().cloned());
    let mut entries: Vec<PathBuf> = tree.entries.clone();
    for dir in &explicit_kusts {
        if let Ok(c) = dir.canonicalize() {
            if !entries.contains(&c) {
                entries.push(c);
            }
        }
    }
    entries.retain(|e| !out.skip.dirs.iter().any(|d| e.starts_with(d)));
    entries.sort();
    entries.dedup();
    for entry in entries {
        let name = relative_to_cwd(&entry);
        let build = kustomize::build(&entry, &name, &sources, &options.kustomize);
        for error in build.errors {
            problem(error, &sources, &name, &mut out);
        }
        if let Some(rendered) = build.rendered {
            out.derived.push(derived(
                &rendered,
                &sources,
                &entry.join("kustomization.yaml"),
            ));
        }
    }
    out
}

/// Render `chart` once, or once per value set the configuration names for it.
fn render_chart(
    chart: &Path,
    canonical: &Path,
    options: &Options,
    sources: &Arc<Sources>,
    out: &mut Prepared,
) {
    let sets: Vec<&ValueSet> = options
        .value_sets
        .iter()
        .filter(|s| s.chart.canonicalize().is_ok_and(|c| c == canonical))
        .collect();
    let mut runs: Vec<HelmOptions> = Vec::new();
    if sets.is_empty() {
        runs.push(options.helm.clone());
    }
    let cwd = std::env::current_dir().ok();
    let near = |p: &PathBuf| -> PathBuf {
        cwd.as_ref()
            .and_then(|cwd| p.strip_prefix(cwd).ok())
            .map_or_else(|| p.clone(), Path::to_path_buf)
    };
    for set in sets {
        let mut o = options.helm.clone();
        let mut values: Vec<PathBuf> = set.values.iter().map(near).collect();
        values.extend(options.helm.values.iter().cloned());
        o.values = values;
        o.set = Some(set.name.clone());
        runs.push(o);
    }
    for o in runs {
        match helm::render_chart(chart, &o, sources) {
            Ok(r) => out
                .derived
                .push(derived(&r.rendered, sources, &chart.join("Chart.yaml"))),
            Err(e) => {
                let missing = e.missing_tool;
                problem(e, sources, &display(chart), out);
                if missing {
                    // The other value sets would say the same.
                    break;
                }
            }
        }
    }
}

fn derived(rendered: &Rendered, sources: &Arc<Sources>, settings: &Path) -> Arc<Derived> {
    let entry = sources.get(rendered.source);
    Arc::new(Derived {
        name: entry.name.clone(),
        text: entry.text.to_string(),
        map: Arc::clone(&rendered.map),
        render: Some(rendered.info.clone()),
        settings_path: Some(settings.to_path_buf()),
    })
}

/// A failed rendering as a finding at the place the tool named (or the entry).
fn problem(error: RenderError, sources: &Sources, entry: &str, out: &mut Prepared) {
    let (name, text, span) = match error.origin {
        Some(origin) => {
            let e = sources.get(origin.source);
            (e.name.clone(), e.text.to_string(), origin.span)
        }
        None => (entry.to_string(), String::new(), Span::empty(0)),
    };
    if error.missing_tool {
        let tool = if error.message.starts_with("helm") {
            "helm"
        } else {
            "kubectl"
        };
        if !out.missing_tools.iter().any(|m| m.starts_with(tool)) {
            out.missing_tools.push(error.message.clone());
        }
    }
    let d = Diagnostic::new(
        crate::registry::IO_ERROR.id,
        crate::registry::IO_ERROR.default_severity,
        span,
        format!("cannot render: {}", without_log_headers(&error.message)),
    );
    if let Some(p) = out.problems.iter_mut().find(|p| p.name == name) {
        p.diagnostics.push(d);
        p.io_error |= error.missing_tool;
        return;
    }
    let path = Path::new(&name);
    out.problems.push(Problem {
        path: path.is_file().then(|| path.to_path_buf()),
        name,
        text,
        diagnostics: vec![d],
        io_error: error.missing_tool,
    });
}

/// `message` without the headers kubectl's logger puts before an error
/// (`E1204 23:27:15.277263   16124 run.go:72] `): they hold the time and a process id, so the
/// same error would read differently at every run.
fn without_log_headers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(['I', 'W', 'E', 'F']) {
        let candidate = &rest[at..];
        match log_header_len(candidate) {
            Some(len) => {
                out.push_str(&rest[..at]);
                rest = &candidate[len..];
            }
            None => {
                out.push_str(&rest[..=at]);
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of a klog header at the start of `s` (`Lmmdd hh:mm:ss.uuuuuu  pid file:line] `).
fn log_header_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !(digits(1, 4) && b.get(5) == Some(&b' ') && digits(6, 2) && b.get(8) == Some(&b':')) {
        return None;
    }
    let close = s.find("] ")?;
    // The header is short and on one line.
    (close < 80 && !s[..close].contains('\n')).then_some(close + 2)
}

#[cfg(test)]
mod tests {
    use super::without_log_headers;

    #[test]
    fn kubectl_log_headers_are_taken_out_of_messages() {
        assert_eq!(
            without_log_headers(
                "could not build `x`: E1204 23:27:15.334256   16130 run.go:72] \"command failed\""
            ),
            "could not build `x`: \"command failed\""
        );
        assert_eq!(without_log_headers("Error: EOF in x"), "Error: EOF in x");
    }
}
