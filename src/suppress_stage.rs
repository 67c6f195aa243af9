//! The run's suppression stage: `exemptions` of the configuration file and the baseline. It
//! runs after the annotations and `# daemonlint:` comments of each document (see
//! [`crate::suppress`]), on every finding a file or the run-level phase produces, whichever
//! way the run goes (whole reports, streamed output, windows of large files, stdin, the
//! language server): [`apply`] marks what it hides; [`unused`] reports, once the run is over,
//! the exemptions that silenced nothing and the baseline entries that matched nothing.
//!
//! ```yaml
//! exemptions:
//!   - daemonsets: ["calico-*"]      # name globs (any DaemonSet when absent)
//!     namespaces: [kube-system]     # `default` matches a DaemonSet without a namespace
//!     containers: [install-cni]     # findings about these containers only
//!     rules: [writable-host-path]   # rule ids or categories
//!     reason: vendored chart, reviewed with the network team
//! baseline: .daemonlint-baseline.json
//! ```
//!
//! The state it keeps (which entries matched) is shared by every copy of the settings through
//! `Arc`s and atomics, so the files of a run may be linted in parallel.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use globset::{Glob, GlobMatcher};

use crate::diagnostic::{Diagnostic, ObjectRef};
use crate::rules;
use crate::settings::{Selector, Settings};
use crate::source::{SourceFile, Span};
use crate::suppress::Suppressed;
use crate::yaml::Node;

// ---------------------------------------------------------------------------------------------
// Exemptions.

/// One `exemptions` entry of a configuration file.
#[derive(Debug)]
pub struct Exemption {
    daemonsets: Vec<GlobMatcher>,
    namespaces: Vec<String>,
    containers: Vec<String>,
    rules: Vec<Selector>,
    reason: String,
    /// The entry in the configuration file.
    span: Span,
    /// It hid a finding.
    used: AtomicBool,
    /// It selects a DaemonSet the run linted.
    selected: AtomicBool,
}

/// The `exemptions` of one configuration file.
#[derive(Debug)]
pub struct Exemptions {
    pub source: Arc<SourceFile>,
    /// The directory of the configuration file.
    pub dir: PathBuf,
    entries: Vec<Exemption>,
}

/// An `exemptions` entry as written (validated by the configuration's reader).
pub struct ExemptionSpec<'a> {
    pub daemonsets: &'a [String],
    pub namespaces: &'a [String],
    pub containers: &'a [String],
    pub rules: &'a [String],
    pub reason: &'a str,
    pub span: Span,
}

impl Exemptions {
    /// Entries whose globs or rules do not parse are left out (the configuration's reader
    /// reports them).
    #[must_use]
    pub fn new(source: Arc<SourceFile>, dir: PathBuf, specs: &[ExemptionSpec<'_>]) -> Self {
        let entries = specs
            .iter()
            .filter_map(|s| {
                Some(Exemption {
                    daemonsets: s
                        .daemonsets
                        .iter()
                        .map(|g| Glob::new(g).map(|g| g.compile_matcher()).ok())
                        .collect::<Option<_>>()?,
                    namespaces: s.namespaces.to_vec(),
                    containers: s.containers.to_vec(),
                    rules: s
                        .rules
                        .iter()
                        .map(|r| Selector::parse(r).ok())
                        .collect::<Option<_>>()?,
                    reason: s.reason.to_string(),
                    span: s.span,
                    used: AtomicBool::new(false),
                    selected: AtomicBool::new(false),
                })
            })
            .collect();
        Self {
            source,
            dir,
            entries,
        }
    }
}

impl Exemption {
    fn selects(&self, object: &ObjectRef) -> bool {
        if object.kind != "DaemonSet" {
            return false;
        }
        let name = object.name.as_deref().unwrap_or_default();
        let namespace = object.namespace.as_deref().unwrap_or("default");
        (self.daemonsets.is_empty() || self.daemonsets.iter().any(|g| g.is_match(name)))
            && (self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == namespace))
    }

    fn hides(&self, d: &Diagnostic) -> bool {
        let Some(object) = d.object.as_deref() else {
            return false;
        };
        let rule = rules::find(&d.rule);
        self.selects(object)
            && (self.containers.is_empty()
                || d.container
                    .as_ref()
                    .is_some_and(|c| self.containers.contains(c)))
            && self.rules.iter().any(|s| match s {
                Selector::All => true,
                Selector::Category(c) => rule.is_some_and(|m| m.category == *c),
                Selector::Rule(id) => *id == d.rule,
            })
    }
}

// ---------------------------------------------------------------------------------------------
// The baseline.

/// The version written in a baseline file.
pub const BASELINE_VERSION: u64 = 1;

/// A baseline file: the fingerprints of the findings a team accepted when it adopted
/// daemonlint.
#[derive(Debug)]
pub struct Baseline {
    pub source: Arc<SourceFile>,
    /// Its absolute path (a directory walk does not lint it as a manifest).
    pub path: PathBuf,
    /// The directory file names are relative to (the baseline's own).
    pub dir: PathBuf,
    /// Fingerprint → entry.
    by_fingerprint: HashMap<String, usize>,
    entries: Vec<BaselineEntry>,
    /// Files (relative to `dir`) the run linted.
    seen: Mutex<HashSet<String>>,
}

#[derive(Debug)]
struct BaselineEntry {
    file: String,
    rule: String,
    span: Span,
    used: AtomicBool,
}

/// What is wrong in a baseline file: where and why.
pub type BaselineError = (Span, String);

impl Baseline {
    /// Read a baseline file's text (`path` names it in findings and fixes the directory its
    /// file names are relative to).
    pub fn parse(path: &Path, text: String) -> Result<Self, (Arc<SourceFile>, Vec<BaselineError>)> {
        let source = Arc::new(SourceFile::new(path.display().to_string(), text));
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        let mut by_fingerprint = HashMap::new();
        let mut docs = crate::yaml::documents(&source.text, crate::yaml::Limits::default());
        match docs.next() {
            Some(Ok(doc)) => match doc.root() {
                Some(root) => read_entries(root, &mut entries, &mut by_fingerprint, &mut errors),
                None => errors.push((Span::empty(0), "the baseline file is empty".into())),
            },
            Some(Err(e)) => errors.push((e.span, format!("invalid JSON: {}", e.message))),
            None => errors.push((Span::empty(0), "the baseline file is empty".into())),
        }
        if !errors.is_empty() {
            return Err((source, errors));
        }
        Ok(Self {
            path: normal(&absolute(path)),
            dir: parent_dir(path),
            source,
            by_fingerprint,
            entries,
            seen: Mutex::new(HashSet::new()),
        })
    }

    /// Read a baseline file from disk.
    pub fn load(path: &Path) -> Result<Self, (Arc<SourceFile>, Vec<BaselineError>)> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, text),
            Err(e) => Err((
                Arc::new(SourceFile::new(path.display().to_string(), String::new())),
                vec![(
                    Span::empty(0),
                    format!(
                        "cannot read the baseline file: {e} (write one with `--write-baseline {}`)",
                        path.display()
                    ),
                )],
            )),
        }
    }
}

fn read_entries(
    root: Node<'_>,
    entries: &mut Vec<BaselineEntry>,
    by_fingerprint: &mut HashMap<String, usize>,
    errors: &mut Vec<BaselineError>,
) {
    match root.get("version").and_then(|v| v.as_i64()) {
        Some(v) if v as u64 == BASELINE_VERSION => {}
        Some(_) => {
            let span = root.get("version").map_or(root.span(), |v| v.span());
            errors.push((
                span,
                format!("unsupported baseline version (this daemonlint reads version {BASELINE_VERSION})"),
            ));
            return;
        }
        None => {
            errors.push((
                root.span(),
                format!("not a daemonlint baseline: expected `{{\"version\": {BASELINE_VERSION}, \"findings\": [...]}}`"),
            ));
            return;
        }
    }
    let Some(findings) = root.get("findings") else {
        errors.push((root.span(), "the baseline has no `findings` list".into()));
        return;
    };
    for item in findings.items() {
        let text = |key: &str| item.get(key).and_then(|v| v.as_str());
        let Some(fingerprint) = text("fingerprint") else {
            errors.push((item.span(), "a baseline entry needs a `fingerprint`".into()));
            continue;
        };
        by_fingerprint.insert(fingerprint.to_string(), entries.len());
        entries.push(BaselineEntry {
            file: text("file").unwrap_or_default().to_string(),
            rule: text("rule").unwrap_or_default().to_string(),
            span: item.span(),
            used: AtomicBool::new(false),
        });
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    normal(&absolute(path))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Without `.` components.
fn normal(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    }
}

/// Whether `path` is the baseline file of `settings` (not a manifest to lint).
#[must_use]
pub fn is_baseline(settings: &Settings, path: &Path) -> bool {
    settings
        .baseline
        .as_ref()
        .is_some_and(|b| b.path == normal(&absolute(path)))
}

/// A file's name relative to `dir` (with `..` where it lies outside), with `/` separators:
/// the file a fingerprint names, the same whatever the working directory.
#[must_use]
pub fn relative_to(dir: &Path, name: &str) -> String {
    // `a/./b` and `a/b` are the same file.
    let abs = normal(&absolute(Path::new(name)));
    let dir = normal(dir);
    let (a, d): (Vec<_>, Vec<_>) = (abs.components().collect(), dir.components().collect());
    let common = a.iter().zip(&d).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return name.replace('\\', "/");
    }
    let mut parts: Vec<String> = vec!["..".to_string(); d.len() - common];
    parts.extend(
        a[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The bytes a finding's fingerprint hashes: rule, file, object and YAML path, never a line
/// number, so a finding keeps its identity when lines above it move (the GitLab format
/// hashes the same, with an occurrence count).
#[must_use]
pub fn fingerprint_key(file: &str, d: &Diagnostic) -> Vec<u8> {
    let object = d.object.as_ref();
    let fields = [
        "daemonlint/v1",
        &d.rule,
        file,
        object.map_or("", |o| o.kind.as_str()),
        object.and_then(|o| o.namespace.as_deref()).unwrap_or(""),
        object.and_then(|o| o.name.as_deref()).unwrap_or(""),
        d.path.as_deref().unwrap_or(""),
    ];
    // Length-prefixed, so that no two field lists give the same bytes.
    let mut key = Vec::new();
    for field in fields {
        key.extend_from_slice(&(field.len() as u64).to_le_bytes());
        key.extend_from_slice(field.as_bytes());
    }
    key
}

/// SHA-256 of `bytes`, in hex.
#[must_use]
pub fn hex_sha256(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for p in parts {
        hasher.update(p);
    }
    hasher.finalize().iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A finding's baseline fingerprint; `file` is relative to the baseline's directory.
#[must_use]
pub fn fingerprint(file: &str, d: &Diagnostic) -> String {
    hex_sha256(&[&fingerprint_key(file, d)])
}

/// Findings a baseline never records: what is not about the manifests.
fn recordable(d: &Diagnostic) -> bool {
    !matches!(
        d.rule.as_ref(),
        "io-error" | "invalid-config" | "invalid-policy"
    )
}

// ---------------------------------------------------------------------------------------------
// The stage.

/// Hide the findings of the file named `name` (as displayed) that an exemption or the
/// baseline of `settings` covers; `daemonsets` are the DaemonSets the file holds (an
/// exemption that selects one of them and hides nothing is reported as unused).
pub fn apply(
    settings: &Settings,
    name: &str,
    daemonsets: &[crate::findings::LintedObject],
    diagnostics: &mut [Diagnostic],
) {
    for set in &settings.exemptions {
        for e in &set.entries {
            if !e.selected.load(Ordering::Relaxed)
                && daemonsets.iter().any(|ds| e.selects(&ds.object))
            {
                e.selected.store(true, Ordering::Relaxed);
            }
        }
        for d in diagnostics.iter_mut().filter(|d| d.suppressed.is_none()) {
            if let Some(e) = set.entries.iter().find(|e| e.hides(d)) {
                e.used.store(true, Ordering::Relaxed);
                e.selected.store(true, Ordering::Relaxed);
                d.suppressed = Some(Suppressed {
                    kind: "exemption",
                    reason: Some(e.reason.clone()),
                });
            }
        }
    }
    if let Some(baseline) = &settings.baseline {
        let file = relative_to(&baseline.dir, name);
        for d in diagnostics
            .iter_mut()
            .filter(|d| d.suppressed.is_none() && recordable(d))
        {
            let Some(&i) = baseline.by_fingerprint.get(&fingerprint(&file, d)) else {
                continue;
            };
            if let Some(entry) = baseline.entries.get(i) {
                entry.used.store(true, Ordering::Relaxed);
            }
            d.suppressed = Some(Suppressed {
                kind: "baseline",
                reason: Some(format!("recorded in {}", baseline.source.name)),
            });
        }
        if let Ok(mut seen) = baseline.seen.lock() {
            if !seen.contains(&file) {
                seen.insert(file);
            }
        }
    }
}

/// The exemption lists and baselines of a run (each once).
#[derive(Default)]
pub struct InPlay {
    exemptions: Vec<Arc<Exemptions>>,
    baselines: Vec<Arc<Baseline>>,
}

impl InPlay {
    /// Add those of one file's settings.
    pub fn add(&mut self, settings: &Settings) {
        for e in &settings.exemptions {
            if !self.exemptions.iter().any(|x| Arc::ptr_eq(x, e)) {
                self.exemptions.push(Arc::clone(e));
            }
        }
        if let Some(b) = &settings.baseline {
            if !self.baselines.iter().any(|x| Arc::ptr_eq(x, b)) {
                self.baselines.push(Arc::clone(b));
            }
        }
    }

    /// Nothing to report on.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.exemptions.is_empty() && self.baselines.is_empty()
    }
}

/// After the run: exemptions that silenced nothing and baseline entries that matched nothing,
/// as `unused-suppression` findings in the configuration and baseline files.
///
/// An exemption is reported when it selects a DaemonSet the run linted, or when the run
/// walked a directory holding its configuration file (`covers`): a run over a few files
/// (pre-commit, an editor) does not see the DaemonSets the others exempt. A baseline entry is
/// reported when its file no longer exists, or was linted (for a run-level finding, which
/// depends on other files, when the run walked the baseline's directory).
#[must_use]
pub fn unused(
    in_play: &InPlay,
    settings: &Settings,
    covers: &dyn Fn(&Path) -> bool,
) -> Vec<crate::outcome::FileReport> {
    let Some(severity) = settings.severity_of(&rules::UNUSED_SUPPRESSION) else {
        return Vec::new();
    };
    let mut files: BTreeMap<String, (Arc<SourceFile>, Vec<Diagnostic>)> = BTreeMap::new();
    let mut push = |source: &Arc<SourceFile>, span: Span, message: String| {
        let d = Diagnostic::new(rules::UNUSED_SUPPRESSION.id, severity, span, message);
        files
            .entry(source.name.clone())
            .or_insert_with(|| (Arc::clone(source), Vec::new()))
            .1
            .push(d);
    };
    for set in &in_play.exemptions {
        let whole = covers(&set.dir);
        for e in &set.entries {
            if e.used.load(Ordering::Relaxed) || !(whole || e.selected.load(Ordering::Relaxed)) {
                continue;
            }
            push(
                &set.source,
                e.span,
                "this exemption silences nothing: no finding of the linted DaemonSets matches it; remove it (or fix its globs) so stale exceptions do not pile up".into(),
            );
        }
    }
    for b in &in_play.baselines {
        let seen = b.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let whole = covers(&b.dir);
        for entry in &b.entries {
            if entry.used.load(Ordering::Relaxed) {
                continue;
            }
            let gone = !entry.file.is_empty() && !b.dir.join(&entry.file).exists();
            // A run-level finding depends on the other files of its scope: a run over some
            // files only (stdin, pre-commit) may not see them.
            let alone = rules::is_run_level(&entry.rule) || entry.rule == "missing-priority-class";
            if !(gone || seen.contains(&entry.file) && (whole || !alone)) {
                continue;
            }
            let what = if gone {
                "its file no longer exists"
            } else {
                "the finding was fixed or its object moved"
            };
            push(
                &b.source,
                entry.span,
                format!(
                    "this baseline entry (`{}` in {}) matches no finding: {what}; rewrite the baseline with `--write-baseline` so it only shrinks",
                    entry.rule, entry.file
                ),
            );
        }
    }
    files
        .into_values()
        .map(|(source, mut diagnostics)| {
            diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
            crate::outcome::FileReport::findings(
                SourceFile::new(source.name.clone(), source.text.clone()),
                diagnostics,
            )
        })
        .collect()
}

/// The text of a baseline file recording the active findings of `report` (hidden ones aside),
/// with file names relative to `dir`: one entry a line, sorted, each fingerprint once.
#[must_use]
pub fn write(report: &crate::outcome::Report, dir: &Path) -> (String, usize) {
    let mut entries: BTreeSet<(String, String, String, String, String)> = BTreeSet::new();
    for (file, d) in report.active() {
        if !recordable(d) || file.io_error {
            continue;
        }
        let name = relative_to(dir, &file.source.name);
        let object = d.object.as_deref().map_or_else(String::new, |o| {
            let mut s = o.kind.clone();
            s.push(' ');
            if let Some(ns) = &o.namespace {
                s.push_str(ns);
                s.push('/');
            }
            s.push_str(o.name.as_deref().unwrap_or_default());
            s
        });
        let fp = fingerprint(&name, d);
        entries.insert((
            name,
            object,
            d.rule.to_string(),
            d.path.clone().unwrap_or_default(),
            fp,
        ));
    }
    let mut out = format!("{{\n  \"version\": {BASELINE_VERSION},\n  \"findings\": [");
    let count = entries.len();
    for (i, (file, object, rule, path, fingerprint)) in entries.into_iter().enumerate() {
        let line = serde_json::json!({
            "file": file,
            "object": object,
            "rule": rule,
            "path": path,
            "fingerprint": fingerprint,
        });
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        out.push_str(&line.to_string());
    }
    out.push_str(if count == 0 { "]\n}\n" } else { "\n  ]\n}\n" });
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_use_slashes_and_ignore_dot_components() {
        let dir = absolute(Path::new("repo"));
        assert_eq!(relative_to(&dir, "repo/./deploy/a.yaml"), "deploy/a.yaml");
        assert_eq!(relative_to(&dir, "other/a.yaml"), "../other/a.yaml");
    }

    #[test]
    fn a_baseline_needs_a_version_and_fingerprints() {
        let err = |text: &str| match Baseline::parse(Path::new("b.json"), text.into()) {
            Ok(_) => panic!("accepted {text}"),
            Err((_, e)) => e[0].1.clone(),
        };
        assert!(err("{}").starts_with("not a daemonlint baseline"));
        assert!(
            err("{\"version\": 2, \"findings\": []}").starts_with("unsupported baseline version")
        );
        assert!(err("{\"version\": 1, \"findings\": [{\"file\": \"a\"}]}")
            .starts_with("a baseline entry needs a `fingerprint`"));
        let ok = Baseline::parse(
            Path::new("b.json"),
            "{\"version\": 1, \"findings\": [{\"fingerprint\": \"ab\", \"file\": \"a.yaml\"}]}"
                .into(),
        )
        .expect("valid");
        assert_eq!(ok.entries.len(), 1);
        assert_eq!(ok.by_fingerprint.get("ab"), Some(&0));
    }
}
