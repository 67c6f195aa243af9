//! What a configuration accepts beyond the rule selection: its `exemptions` and the baseline
//! it names, as written. They are settings: read once, never changed by a run. Which entries
//! a run matched is that run's data, kept by the suppression stage
//! ([`crate::suppress_stage::Tally`]).
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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobMatcher};

use super::{Selector, Settings};
use crate::diagnostic::{Diagnostic, ObjectRef};
use crate::registry::Category;
use crate::source::{SourceFile, Span};
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
    /// Why the team accepts what it hides.
    pub reason: String,
    /// The entry in the configuration file.
    pub span: Span,
}

/// The `exemptions` of one configuration file.
#[derive(Debug)]
pub struct Exemptions {
    pub source: Arc<SourceFile>,
    /// The directory of the configuration file.
    pub dir: PathBuf,
    pub entries: Vec<Exemption>,
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
    /// Whether the entry selects `object` (a DaemonSet its globs and namespaces match).
    #[must_use]
    pub fn selects(&self, object: &ObjectRef) -> bool {
        if object.kind != "DaemonSet" {
            return false;
        }
        let name = object.name.as_deref().unwrap_or_default();
        let namespace = object.namespace.as_deref().unwrap_or("default");
        (self.daemonsets.is_empty() || self.daemonsets.iter().any(|g| g.is_match(name)))
            && (self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == namespace))
    }

    /// Whether the entry hides `d`, whose rule is of `category` (`None`: a rule outside the
    /// registry, such as a custom policy).
    #[must_use]
    pub fn hides(&self, d: &Diagnostic, category: Option<Category>) -> bool {
        let Some(object) = d.object.as_deref() else {
            return false;
        };
        self.selects(object)
            && (self.containers.is_empty()
                || d.container
                    .as_ref()
                    .is_some_and(|c| self.containers.contains(c)))
            && self.rules.iter().any(|s| match s {
                Selector::All => true,
                Selector::Category(c) => category == Some(*c),
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
    pub entries: Vec<BaselineEntry>,
}

/// One recorded finding.
#[derive(Debug)]
pub struct BaselineEntry {
    /// Its file, relative to the baseline's directory.
    pub file: String,
    pub rule: String,
    /// The entry in the baseline file.
    pub span: Span,
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
            path: normal(&super::absolute(path)),
            dir: parent_dir(path),
            source,
            by_fingerprint,
            entries,
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

    /// The entry recording the finding of this fingerprint.
    #[must_use]
    pub fn find(&self, fingerprint: &str) -> Option<usize> {
        self.by_fingerprint.get(fingerprint).copied()
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
        });
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    normal(&super::absolute(path))
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

/// Whether `path` is the baseline file of `settings` (not a manifest to lint).
#[must_use]
pub fn is_baseline(settings: &Settings, path: &Path) -> bool {
    settings
        .baseline
        .as_ref()
        .is_some_and(|b| b.path == normal(&super::absolute(path)))
}

/// A file's name relative to `dir` (with `..` where it lies outside), with `/` separators:
/// the file a fingerprint names, the same whatever the working directory.
#[must_use]
pub fn relative_to(dir: &Path, name: &str) -> String {
    // `a/./b` and `a/b` are the same file.
    let abs = normal(&super::absolute(Path::new(name)));
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

/// A finding's baseline fingerprint; `file` is relative to the baseline's directory.
#[must_use]
pub fn fingerprint(file: &str, d: &Diagnostic) -> String {
    hex_sha256(&[&fingerprint_key(file, d)])
}

/// Findings a baseline never records: what is not about the manifests.
#[must_use]
pub fn recordable(d: &Diagnostic) -> bool {
    !matches!(
        d.rule.as_ref(),
        "io-error" | "invalid-config" | "invalid-policy"
    )
}

/// The exemption lists and baselines a run's settings hold (each once).
#[derive(Default)]
pub struct InPlay {
    pub exemptions: Vec<Arc<Exemptions>>,
    pub baselines: Vec<Arc<Baseline>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_use_slashes_and_ignore_dot_components() {
        let dir = super::super::absolute(Path::new("repo"));
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
        assert_eq!(ok.find("ab"), Some(0));
    }
}
