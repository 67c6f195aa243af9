//! The resolved settings of a run: which rules run at which severity, their options, the
//! limits, the output format, the scopes of the run-level checks. [`crate::config`] builds them
//! from the defaults, the configuration files and the command line.

pub mod exemptions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Severity;
use crate::registry::{Category, RuleMeta};

/// When the run counts as failed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// Whether a finding of `severity` fails the run.
    #[must_use]
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            Self::Never => false,
            Self::Error => severity >= Severity::Error,
            Self::Warning => severity >= Severity::Warning,
            Self::Info => true,
        }
    }
}

/// A severity override: a level, or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Info,
    Warning,
    Error,
}

impl Level {
    #[must_use]
    pub fn severity(self) -> Option<Severity> {
        match self {
            Self::Off => None,
            Self::Info => Some(Severity::Info),
            Self::Warning => Some(Severity::Warning),
            Self::Error => Some(Severity::Error),
        }
    }

    /// Parse `off|info|warning|error`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "off" => Some(Self::Off),
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// Host paths a DaemonSet may mount without `sensitive-host-path`/`writable-host-path` findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HostPathAllow {
    /// DaemonSet names (globs, e.g. `fluent-bit*`) this entry applies to.
    pub daemonsets: Vec<String>,
    /// Host paths (and everything below them) that are allowed.
    pub paths: Vec<String>,
    /// Allow the paths only when mounted read-only (default `true`).
    #[serde(default = "yes")]
    pub read_only: bool,
}

fn yes() -> bool {
    true
}

/// Options the rules read. Every field has a documented default.
#[derive(Clone, Debug, Serialize)]
pub struct RuleOptions {
    /// Taints (with effect NoSchedule) that a node agent must tolerate.
    pub control_plane_taints: Vec<String>,
    /// `maxUnavailable` percentages above this fire `aggressive-max-unavailable`.
    pub max_unavailable_percent: u32,
    /// Integer `maxUnavailable` values above this fire `aggressive-max-unavailable`.
    pub max_unavailable_count: i64,
    /// Resources that must have requests (after limits are counted as requests).
    pub required_requests: Vec<String>,
    /// Resources that must have limits.
    pub required_limits: Vec<String>,
    /// Host paths that `sensitive-host-path` reports: a hostPath at, under, or above one of these
    /// (after normalising `//`, `.`, `..` and a trailing `/`). An entry starting with `!` exempts
    /// its subtree; the longest matching entry wins. Entries whose file name ends in `.sock` are
    /// container runtime sockets, also recognised by file name anywhere.
    pub sensitive_host_paths: Vec<String>,
    /// Host paths allowed per DaemonSet.
    pub host_path_allow: Vec<HostPathAllow>,
    /// Priority classes that satisfy `missing-priority-class`.
    pub priority_classes: Vec<String>,
    /// The Pod Security Standards level of a namespace without `pod-security.kubernetes.io/*`
    /// labels (the cluster's default: `privileged` unless its admission configuration says
    /// otherwise).
    pub pod_security_default_level: crate::k8s::pss::Level,
}

/// The default `sensitive_host_paths`.
pub use crate::k8s::hostpath::DEFAULT_SENSITIVE_HOST_PATHS;

/// The default `priority_classes`.
pub const DEFAULT_PRIORITY_CLASSES: &[&str] = &["system-node-critical", "system-cluster-critical"];

impl Default for RuleOptions {
    fn default() -> Self {
        Self {
            control_plane_taints: vec!["node-role.kubernetes.io/control-plane".into()],
            max_unavailable_percent: 25,
            max_unavailable_count: 5,
            required_requests: vec!["cpu".into(), "memory".into()],
            required_limits: vec!["cpu".into(), "memory".into()],
            sensitive_host_paths: DEFAULT_SENSITIVE_HOST_PATHS
                .iter()
                .map(|p| (*p).to_string())
                .collect(),
            host_path_allow: Vec::new(),
            pod_security_default_level: crate::k8s::pss::Level::Privileged,
            priority_classes: DEFAULT_PRIORITY_CLASSES
                .iter()
                .map(|p| (*p).to_string())
                .collect(),
        }
    }
}

impl RuleOptions {
    /// Whether `host_path` is allowed for the DaemonSet `name` by `host_path_allow`.
    #[must_use]
    pub fn host_path_allowed(&self, name: Option<&str>, host_path: &str, read_only: bool) -> bool {
        let Some(name) = name else { return false };
        self.host_path_allow.iter().any(|allow| {
            (read_only || !allow.read_only)
                && allow
                    .daemonsets
                    .iter()
                    .any(|g| Glob::new(g).is_ok_and(|g| g.compile_matcher().is_match(name)))
                && allow.paths.iter().any(|p| path_within(host_path, p))
        })
    }
}

/// Whether `path` is `prefix` or below it (by whole components).
#[must_use]
pub fn path_within(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A rule or a family of rules in `select`/`ignore`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum Selector {
    All,
    Category(Category),
    Rule(String),
}

impl From<Selector> for String {
    fn from(s: Selector) -> String {
        match s {
            Selector::All => "all".into(),
            Selector::Category(c) => c.as_str().into(),
            Selector::Rule(r) => r,
        }
    }
}

/// The closest candidate within a small edit distance.
pub fn did_you_mean<'a>(text: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(text, c), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

/// Which rules run, and at which severity.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Selection {
    /// Replaces the default set when present.
    pub select: Option<Vec<Selector>>,
    /// Removed from the selected set.
    pub ignore: Vec<Selector>,
    /// Per-rule severity overrides.
    pub severity: BTreeMap<String, Level>,
}

impl Selection {
    /// The severity a rule runs at, or `None` when it is off.
    #[must_use]
    pub fn severity_of(&self, meta: &RuleMeta) -> Option<Severity> {
        self.severity_for(
            meta.id,
            Some(meta.category),
            meta.default_enabled,
            meta.default_severity,
        )
    }

    /// [`Self::severity_of`] for any id (custom policies have no category).
    #[must_use]
    pub fn severity_for(
        &self,
        id: &str,
        category: Option<Category>,
        default_enabled: bool,
        default: Severity,
    ) -> Option<Severity> {
        let matches = |s: &Selector| match s {
            Selector::All => true,
            Selector::Category(c) => Some(*c) == category,
            Selector::Rule(r) => r == id,
        };
        // An explicit level for a rule turns it on, even when it is off by default.
        let explicit = self.severity.get(id).is_some_and(|l| *l != Level::Off);
        let selected = explicit
            || match &self.select {
                Some(selectors) => selectors.iter().any(matches),
                None => default_enabled,
            };
        if !selected || self.ignore.iter().any(matches) {
            return None;
        }
        match self.severity.get(id) {
            Some(level) => level.severity(),
            None => Some(default),
        }
    }
}

/// Which files the run-level (cross-object) checks compare a DaemonSet with: the
/// ServiceAccounts, ConfigMaps, Secrets, bindings, roles, Namespaces and PriorityClasses they
/// look for must be defined in the same scope (files given with `--namespaces` are seen by
/// every scope).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CrossScope {
    /// The files of the DaemonSet's own directory (not its subdirectories): a chart's rendering,
    /// a kustomization or an application's folder.
    #[default]
    Directory,
    /// The DaemonSet's own file only (a folder of unrelated vendors' manifests).
    File,
    /// Every file of the run.
    Run,
}

/// A named set of files that the run-level checks compare together, whatever their
/// directories (see `cross-sets` in the configuration file).
#[derive(Clone, Debug)]
pub struct CrossSet {
    pub name: String,
    /// The directory its globs are relative to.
    pub base: PathBuf,
    pub files: GlobSet,
}

/// A per-path override from the configuration file.
#[derive(Clone, Debug)]
pub struct PathRule {
    pub files: GlobSet,
    pub patterns: Vec<String>,
    pub ignore: Vec<Selector>,
    pub severity: BTreeMap<String, Level>,
}

/// Everything a lint needs besides the text: the effective settings for one file.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub options: RuleOptions,
    pub selection: Selection,
    pub fail_on: FailOn,
    #[serde(skip)]
    pub limits: crate::yaml::Limits,
    /// Largest file read, in bytes.
    pub max_file_size: u64,
    /// The default output format, when set by a configuration file.
    pub format: Option<OutputFormat>,
    /// Globs of files that directory walks pick up (default `*.yaml`, `*.yml`, `*.json`).
    pub include: Vec<String>,
    /// Globs of files and directories to skip.
    pub exclude: Vec<String>,
    /// Policy files.
    pub policies: Vec<PathBuf>,
    /// The Kubernetes version whose schema `apps/v1` DaemonSets are validated against.
    #[serde(serialize_with = "display")]
    pub kube_version: crate::k8s::version::KubeVersion,
    /// Configuration files applied, in order.
    pub config_files: Vec<PathBuf>,
    /// Which files the run-level checks compare a DaemonSet with.
    pub cross_scope: CrossScope,
    /// Named sets of files compared together, before `cross_scope` applies.
    #[serde(skip)]
    pub cross_sets: Vec<CrossSet>,
    /// The `exemptions` of the configuration files that apply (see [`exemptions`]).
    #[serde(skip)]
    pub exemptions: Vec<Arc<exemptions::Exemptions>>,
    /// The baseline: from `--baseline`, else the nearest configuration file's `baseline`.
    #[serde(skip)]
    pub baseline: Option<Arc<exemptions::Baseline>>,
    #[serde(skip)]
    pub per_path: Vec<(PathBuf, PathRule)>,
    /// How charts and overlays are rendered (the configuration's `helm` and `kustomize`).
    #[serde(skip)]
    pub render: RenderSettings,
    #[serde(skip)]
    pub(crate) include_set: Option<GlobSet>,
    #[serde(skip)]
    pub(crate) exclude_set: Option<(PathBuf, GlobSet)>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            options: RuleOptions::default(),
            selection: Selection::default(),
            fail_on: FailOn::Warning,
            limits: crate::yaml::Limits::default(),
            max_file_size: 64 * 1024 * 1024,
            format: None,
            include: vec!["*.yaml".into(), "*.yml".into(), "*.json".into()],
            exclude: Vec::new(),
            policies: Vec::new(),
            kube_version: crate::k8s::version::KubeVersion::newest(),
            config_files: Vec::new(),
            cross_scope: CrossScope::default(),
            cross_sets: Vec::new(),
            exemptions: Vec::new(),
            baseline: None,
            per_path: Vec::new(),
            render: RenderSettings::default(),
            include_set: None,
            exclude_set: None,
        }
    }
}

pub(crate) fn build_globs(patterns: &[String]) -> Result<GlobSet, (usize, String)> {
    let mut b = GlobSetBuilder::new();
    for (i, p) in patterns.iter().enumerate() {
        // A pattern without a slash matches at any depth, like .gitignore.
        let pattern = if p.contains('/') {
            p.trim_start_matches("./").to_string()
        } else {
            format!("**/{p}")
        };
        b.add(Glob::new(&pattern).map_err(|e| (i, e.kind().to_string()))?);
        if !p.contains('*') {
            // A directory name excludes everything below it.
            let below = format!("{}/**", pattern.trim_end_matches('/'));
            if let Ok(g) = Glob::new(&below) {
                b.add(g);
            }
        }
    }
    b.build().map_err(|e| (0, e.to_string()))
}

impl Settings {
    /// The severity a rule runs at, or `None` when it is off.
    #[must_use]
    pub fn severity_of(&self, meta: &RuleMeta) -> Option<Severity> {
        self.selection.severity_of(meta)
    }

    /// The severity of a rule outside the registry (a custom policy, on by default), or `None`
    /// when the selection turns it off.
    #[must_use]
    pub fn severity_for_id(&self, id: &str, default: Severity) -> Option<Severity> {
        self.selection.severity_for(id, None, true, default)
    }

    /// Whether the user set `rule` to a severity other than `default`; setting a rule to
    /// its default severity just turns it on.
    #[must_use]
    pub fn severity_configured(&self, rule: &str, default: Severity) -> bool {
        matches!(self.selection.severity.get(rule).and_then(|l| l.severity()), Some(s) if s != default)
    }

    /// Whether directory walks pick up `path` (by file name or relative path).
    #[must_use]
    pub fn is_included(&self, path: &Path) -> bool {
        match &self.include_set {
            Some(set) => set.is_match(path) || path.file_name().is_some_and(|n| set.is_match(n)),
            None => build_globs(&self.include).is_ok_and(|s| s.is_match(path)),
        }
    }

    /// Whether `path` is excluded (globs are relative to the configuration file that set them).
    #[must_use]
    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some((base, set)) = &self.exclude_set else {
            return false;
        };
        let abs = absolute(path);
        let rel = abs.strip_prefix(base).unwrap_or(&abs);
        set.is_match(rel)
    }

    /// Apply per-path overrides for `path`.
    #[must_use]
    pub fn for_file(&self, path: &Path) -> Settings {
        let mut out = self.clone();
        let abs = absolute(path);
        for (base, rule) in &self.per_path {
            let rel = abs.strip_prefix(base).unwrap_or(&abs);
            if rule.files.is_match(rel) {
                out.selection.ignore.extend(rule.ignore.iter().cloned());
                out.selection
                    .severity
                    .extend(rule.severity.iter().map(|(k, v)| (k.clone(), *v)));
            }
        }
        out
    }

    /// The scope of the run-level checks a file named `name` (a path as displayed, relative to
    /// the working directory) belongs to: files with the same key are compared together.
    #[must_use]
    pub fn cross_scope_key(&self, name: &str) -> String {
        let path = Path::new(name);
        if !self.cross_sets.is_empty() {
            let abs = absolute(path);
            for set in &self.cross_sets {
                let rel = abs.strip_prefix(&set.base).unwrap_or(&abs);
                if set.files.is_match(rel) {
                    return format!("set\0{}\0{}", set.base.display(), set.name);
                }
            }
        }
        match self.cross_scope {
            CrossScope::Run => "run".into(),
            CrossScope::File => format!("file\0{name}"),
            CrossScope::Directory => {
                // Lexically: `./a/x.yaml` and `a/y.yaml` share a directory.
                let dir: PathBuf = path
                    .parent()
                    .unwrap_or(Path::new(""))
                    .components()
                    .filter(|c| !matches!(c, std::path::Component::CurDir))
                    .collect();
                format!("dir\0{}", dir.display())
            }
        }
    }

    pub(crate) fn finish(&mut self) {
        self.include_set = build_globs(&self.include).ok();
    }
}

fn display<T: std::fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub(crate) fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    }
}

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
    /// A stable JSON document (see `docs/src/reference/json.md` for the contract).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: inline annotations on the pull request.
    Github,
    /// JUnit XML: one test case per DaemonSet and rule category (GitLab, Jenkins).
    Junit,
    /// Checkstyle XML (reviewdog, Jenkins warnings).
    Checkstyle,
    /// GitLab Code Quality JSON.
    Gitlab,
}

/// The settings of one file: borrowed from one fixed set, or shared with every file of its
/// directory from a resolver's cache. Never a copy per file: settings are large (rule
/// options, globs), and a run asks for them several times a file.
#[derive(Clone, Debug)]
pub enum SettingsRef<'a> {
    Borrowed(&'a Settings),
    Shared(Arc<Settings>),
}

impl std::ops::Deref for SettingsRef<'_> {
    type Target = Settings;

    fn deref(&self) -> &Settings {
        match self {
            Self::Borrowed(s) => s,
            Self::Shared(s) => s,
        }
    }
}

/// Where the settings of each file come from: one fixed set, or configuration discovery.
pub trait SettingsSource: Sync {
    /// The settings for a file (`None`: the working directory, e.g. for stdin without a name).
    fn for_path(&self, path: Option<&std::path::Path>) -> SettingsRef<'_>;

    /// Errors met in configuration files discovered so far, as reports of those files (each
    /// is given once).
    fn take_errors(&self) -> Vec<crate::findings::FileReport> {
        Vec::new()
    }

    /// The exemption lists and baselines of every settings given so far, whose entries a run
    /// reports when they matched nothing (none for one fixed set: a run without configuration
    /// discovery has no configuration file to point at).
    fn in_play(&self) -> exemptions::InPlay {
        exemptions::InPlay::default()
    }
}

impl SettingsSource for Settings {
    fn for_path(&self, path: Option<&std::path::Path>) -> SettingsRef<'_> {
        match path {
            Some(p) if !self.per_path.is_empty() => SettingsRef::Shared(Arc::new(self.for_file(p))),
            _ => SettingsRef::Borrowed(self),
        }
    }
}

/// The configuration's `helm` and `kustomize` keys, paths resolved against their file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderSettings {
    pub helm: Option<PathBuf>,
    pub release: Option<String>,
    pub namespace: Option<String>,
    pub helm_timeout: Option<u64>,
    /// `(chart, set name, values files)`, sorted by chart and set name (the renderings, and
    /// the lists that name them, follow that order).
    pub value_sets: Vec<(PathBuf, String, Vec<PathBuf>)>,
    /// kubectl, or a kustomize binary.
    pub kustomize: Option<PathBuf>,
    pub kustomize_timeout: Option<u64>,
}
