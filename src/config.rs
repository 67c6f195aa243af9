//! Settings that shape a run, and the `.daemonlint.yaml` configuration file.
//!
//! Precedence: defaults < the configuration file found by walking up from each linted file
//! (then the working directory) < `--config FILE` < command-line flags. `--isolated` ignores
//! every configuration file. The file is parsed with the project's own span tree, so every
//! error points into the file; its JSON Schema is generated from the types below
//! (`docs/daemonlint.schema.json`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::{Glob, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Severity};
use crate::report::OutputFormat;
use crate::rules::{self, Category, RuleMeta};
use crate::source::{SourceFile, Span};
use crate::yaml::json::Step;

/// The names a configuration file may have, in the order they are looked for.
pub const CONFIG_NAMES: &[&str] = &[".daemonlint.yaml", ".daemonlint.yml"];

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
    pub pod_security_default_level: crate::pss::Level,
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
            pod_security_default_level: crate::pss::Level::Privileged,
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

impl Selector {
    /// Parse a selector; unknown names get a "did you mean".
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "all" {
            return Ok(Self::All);
        }
        if let Some(c) = Category::ALL.iter().find(|c| c.as_str() == text) {
            return Ok(Self::Category(*c));
        }
        if rules::find(text).is_some() {
            return Ok(Self::Rule(text.to_string()));
        }
        Err(unknown_rule_message(text))
    }
}

/// "unknown rule `x` (did you mean `y`?)".
#[must_use]
pub fn unknown_rule_message(text: &str) -> String {
    let candidates = rules::all_meta()
        .map(|m| m.id)
        .chain(Category::ALL.iter().map(|c| c.as_str()))
        .chain(std::iter::once("all"));
    match did_you_mean(text, candidates) {
        Some(s) => format!("unknown rule or category `{text}` (did you mean `{s}`?)"),
        None => format!("unknown rule or category `{text}`; `daemonlint rules` lists them"),
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
    pub kube_version: crate::schema::KubeVersion,
    /// Configuration files applied, in order.
    pub config_files: Vec<PathBuf>,
    /// Which files the run-level checks compare a DaemonSet with.
    pub cross_scope: CrossScope,
    /// Named sets of files compared together, before `cross_scope` applies.
    #[serde(skip)]
    pub cross_sets: Vec<CrossSet>,
    /// The `exemptions` of the configuration files that apply (see [`crate::suppress_stage`]).
    #[serde(skip)]
    pub exemptions: Vec<Arc<crate::suppress_stage::Exemptions>>,
    /// The baseline: from `--baseline`, else the nearest configuration file's `baseline`.
    #[serde(skip)]
    pub baseline: Option<Arc<crate::suppress_stage::Baseline>>,
    #[serde(skip)]
    pub per_path: Vec<(PathBuf, PathRule)>,
    /// The nodes given with `--nodes`: rules that can use real nodes name them.
    #[serde(skip)]
    pub cluster: Option<Arc<crate::coverage::Cluster>>,
    /// Index what `daemonlint inventory` shows of each DaemonSet (privileged containers, host
    /// namespaces, ports and paths, capabilities); `check` has no use for it and skips the work.
    #[serde(skip)]
    pub inventory: bool,
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
            kube_version: crate::schema::KubeVersion::newest(),
            config_files: Vec::new(),
            cross_scope: CrossScope::default(),
            cross_sets: Vec::new(),
            exemptions: Vec::new(),
            baseline: None,
            per_path: Vec::new(),
            cluster: None,
            inventory: false,
            include_set: None,
            exclude_set: None,
        }
    }
}

fn build_globs(patterns: &[String]) -> Result<GlobSet, (usize, String)> {
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

    fn finish(&mut self) {
        self.include_set = build_globs(&self.include).ok();
    }
}

fn display<T: std::fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    }
}

// ---------------------------------------------------------------------------------------------
// The configuration file.

/// `.daemonlint.yaml`: every key is optional.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(
    title = "daemonlint configuration",
    description = "The `.daemonlint.yaml` file of daemonlint, a linter for Kubernetes DaemonSet manifests."
)]
pub struct ConfigFile {
    /// Rules or categories to run, replacing the default set (`all` selects every rule, including those off by default).
    pub select: Option<Vec<String>>,
    /// Rules or categories not to run.
    pub ignore: Option<Vec<String>>,
    /// Severity per rule: `off`, `info`, `warning` or `error`.
    pub severity: Option<BTreeMap<String, Level>>,
    /// The lowest severity that fails the run (exit code 1).
    pub fail_on: Option<FailOn>,
    /// The default output format.
    pub format: Option<OutputFormat>,
    /// Globs of files that directory walks lint (default `*.yaml`, `*.yml`, `*.json`).
    pub include: Option<Vec<String>>,
    /// Globs of files and directories to skip, relative to this file.
    pub exclude: Option<Vec<String>>,
    /// Per-path overrides, applied in order.
    pub overrides: Option<Vec<OverrideFile>>,
    /// Per-rule options.
    pub rules: Option<RuleOptionsFile>,
    /// Policy files (paths or globs relative to this file).
    pub policies: Option<Vec<String>>,
    /// Kubernetes version for schema validation, e.g. `"1.31"`.
    pub kube_version: Option<String>,
    /// Which files the run-level (cross-object) checks compare a DaemonSet with:
    /// `directory` (default: the files of its own directory), `file` (its own file) or `run`
    /// (every linted file).
    pub cross_scope: Option<CrossScope>,
    /// Named sets of files the run-level checks compare together, whatever their directories
    /// (a file in a set is compared only with the files of its set; the first set that matches
    /// wins).
    pub cross_sets: Option<Vec<CrossSetFile>>,
    /// Findings hidden for what cannot be annotated (vendored or third-party charts, generated
    /// files): each entry needs `rules` and a `reason`; one that silences nothing is reported
    /// as `unused-suppression`.
    pub exemptions: Option<Vec<ExemptionFile>>,
    /// A baseline file written by `daemonlint check --write-baseline FILE` (relative to this
    /// file): the findings it records are hidden, and entries that match nothing are reported.
    pub baseline: Option<String>,
}

/// An `exemptions` entry: the findings of the rules `rules` on the DaemonSets it selects
/// (every condition given must hold).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExemptionFile {
    /// DaemonSet name globs, e.g. `calico-*` (any DaemonSet when absent).
    pub daemonsets: Option<Vec<String>>,
    /// Namespaces (`default` matches a DaemonSet without one; any when absent).
    pub namespaces: Option<Vec<String>>,
    /// Only findings about these containers (any finding when absent).
    pub containers: Option<Vec<String>>,
    /// Rule ids or categories it hides.
    pub rules: Vec<String>,
    /// Why: shown with `--show-suppressed`.
    pub reason: String,
}

/// A named set of files for the run-level checks.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CrossSetFile {
    /// A name for the set (shown nowhere but in `daemonlint config`).
    pub name: String,
    /// Globs relative to the configuration file.
    pub files: Vec<String>,
}

/// Settings for the files matching `files`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OverrideFile {
    /// Globs relative to the configuration file.
    pub files: Vec<String>,
    /// Rules or categories not to run on these files.
    pub ignore: Option<Vec<String>>,
    /// Severity per rule for these files.
    pub severity: Option<BTreeMap<String, Level>>,
}

/// Per-rule options, keyed by rule id.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleOptionsFile {
    pub missing_control_plane_toleration: Option<TolerationOptions>,
    pub aggressive_max_unavailable: Option<MaxUnavailableOptions>,
    pub missing_resource_requests: Option<ResourceOptions>,
    pub missing_resource_limits: Option<ResourceOptions>,
    pub sensitive_host_path: Option<HostPathOptions>,
    pub missing_priority_class: Option<PriorityClassOptions>,
    pub pod_security_admission: Option<PodSecurityAdmissionOptions>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PodSecurityAdmissionOptions {
    /// The level of namespaces without `pod-security.kubernetes.io/*` labels: the cluster's
    /// default (`privileged`, `baseline` or `restricted`; default `privileged`).
    pub default_level: crate::pss::Level,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TolerationOptions {
    /// Taint keys (effect NoSchedule) every node agent must tolerate. Add `node-role.kubernetes.io/master` for clusters before Kubernetes 1.25.
    pub taints: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MaxUnavailableOptions {
    /// Percentages above this fire (default 25).
    pub max_percent: Option<u32>,
    /// Node counts above this fire (default 5).
    pub max_count: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ResourceOptions {
    /// Require CPU (default true); `false` for teams that avoid CPU limits.
    pub cpu: Option<bool>,
    /// Require memory (default true).
    pub memory: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HostPathOptions {
    /// Host path prefixes considered sensitive (replaces the default list).
    pub paths: Option<Vec<String>>,
    /// Host paths allowed per DaemonSet.
    pub allow: Option<Vec<HostPathAllow>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PriorityClassOptions {
    /// Accepted priority classes (default `system-node-critical`, `system-cluster-critical`).
    pub classes: Vec<String>,
}

/// The JSON Schema of the configuration file, as committed in `docs/daemonlint.schema.json`.
#[must_use]
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ConfigFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// An error in a configuration file, with the span it blames.
pub type ConfigError = crate::source::FileError;

impl ConfigError {
    #[must_use]
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::new(
            rules::INVALID_CONFIG.id,
            Severity::Error,
            self.span,
            self.message.clone(),
        )
    }
}

/// A parsed configuration file and the directory its globs are relative to.
#[derive(Clone, Debug)]
pub struct Layer {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub file: ConfigFile,
    pub source: Arc<SourceFile>,
    /// Its `exemptions`, shared by every file it applies to (they record what they hide).
    pub exemptions: Option<Arc<crate::suppress_stage::Exemptions>>,
    /// Its `baseline`, read once.
    pub baseline: Option<Arc<crate::suppress_stage::Baseline>>,
}

/// Parse and validate a configuration file's text.
pub fn parse_layer(path: &Path, text: String) -> Result<Layer, Vec<ConfigError>> {
    let source = Arc::new(SourceFile::new(path.display().to_string(), text));
    let err = |span: Span, message: String| ConfigError {
        source: Arc::clone(&source),
        span,
        message,
    };
    let mut docs = crate::yaml::documents(&source.text, crate::yaml::Limits::default());
    let doc = match docs.next() {
        None => {
            return Ok(Layer {
                path: path.to_path_buf(),
                dir: absolute(path)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                file: ConfigFile::default(),
                source: Arc::clone(&source),
                exemptions: None,
                baseline: None,
            });
        }
        Some(Err(e)) => return Err(vec![err(e.span, format!("invalid YAML: {}", e.message))]),
        Some(Ok(doc)) => doc,
    };
    let Some(root) = doc.root() else {
        return Err(vec![err(Span::empty(0), "empty configuration".into())]);
    };
    let value = if root.is_null() {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        crate::yaml::json::to_json_yaml12(root, 100_000).map_err(|_| {
            vec![err(
                root.span(),
                "the configuration is too large or has a non-scalar key".into(),
            )]
        })?
    };
    let file: ConfigFile = match serde_path_to_error::deserialize(value) {
        Ok(f) => f,
        Err(e) => {
            let steps: Vec<String> = e.path().iter().map(ToString::to_string).collect();
            let path_steps: Vec<Step<'_>> = e
                .path()
                .iter()
                .map(|seg| match seg {
                    serde_path_to_error::Segment::Seq { index } => Step::Index(*index),
                    serde_path_to_error::Segment::Map { key } => Step::Key(key.as_str()),
                    _ => Step::Key(""),
                })
                .collect();
            let inner = e.inner().to_string();
            let (span, message) = describe_serde_error(root, &path_steps, &inner);
            let where_ = if steps.is_empty() {
                String::new()
            } else {
                format!(" at `{}`", steps.join("."))
            };
            return Err(vec![err(span, format!("{message}{where_}"))]);
        }
    };
    let mut layer = Layer {
        path: path.to_path_buf(),
        dir: absolute(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        file,
        source: Arc::clone(&source),
        exemptions: None,
        baseline: None,
    };
    let mut errors = validate(&layer, root);
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(list) = &layer.file.exemptions {
        let specs: Vec<crate::suppress_stage::ExemptionSpec<'_>> = list
            .iter()
            .enumerate()
            .map(|(i, e)| crate::suppress_stage::ExemptionSpec {
                daemonsets: e.daemonsets.as_deref().unwrap_or_default(),
                namespaces: e.namespaces.as_deref().unwrap_or_default(),
                containers: e.containers.as_deref().unwrap_or_default(),
                rules: &e.rules,
                reason: &e.reason,
                span: root.span_at(&[Step::Key("exemptions"), Step::Index(i)]),
            })
            .collect();
        layer.exemptions = Some(Arc::new(crate::suppress_stage::Exemptions::new(
            Arc::clone(&source),
            layer.dir.clone(),
            &specs,
        )));
    }
    if let Some(file) = &layer.file.baseline {
        match crate::suppress_stage::Baseline::load(&layer.dir.join(file)) {
            Ok(b) => layer.baseline = Some(Arc::new(b)),
            Err((source, list)) => {
                for (span, message) in list {
                    errors.push(ConfigError {
                        source: Arc::clone(&source),
                        span,
                        message,
                    });
                }
                return Err(errors);
            }
        }
    }
    Ok(layer)
}

/// Turn serde's message into a span and a sentence, with "did you mean" for unknown keys.
fn describe_serde_error(
    root: crate::yaml::Node<'_>,
    path: &[Step<'_>],
    inner: &str,
) -> (Span, String) {
    if let Some(rest) = inner.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once("`, expected ") {
            let candidates: Vec<&str> = expected
                .split('`')
                .filter(|s| !s.is_empty() && !s.contains(' ') && *s != ",")
                .collect();
            // The unknown key's own span (the path may end with the key itself).
            let parent_path = match path.last() {
                Some(Step::Key(k)) if *k == field => &path[..path.len() - 1],
                _ => path,
            };
            let parent = root.at_path(parent_path).map(|(_, n)| n);
            let span = parent
                .and_then(|p| p.entry(field).map(|(k, _)| k.span()))
                .unwrap_or_else(|| root.span_at(parent_path));
            let hint = did_you_mean(field, candidates.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_else(|| {
                    format!(
                        "; expected one of {}",
                        candidates
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            return (span, format!("unknown key `{field}`{hint}"));
        }
    }
    (root.span_at(path), inner.to_string())
}

/// Checks serde cannot do: rule ids, globs, versions.
fn validate(layer: &Layer, root: crate::yaml::Node<'_>) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut err = |path: &[Step<'_>], message: String| {
        // A path ending in "=key" blames the key itself rather than its value.
        let span = match path.split_last() {
            Some((Step::Key(k), parent)) if k.starts_with('=') => root
                .at_path(parent)
                .and_then(|(_, p)| p.entry(&k[1..]))
                .map_or_else(|| root.span_at(parent), |(key, _)| key.span()),
            _ => root.span_at(path),
        };
        errors.push(ConfigError {
            source: Arc::clone(&layer.source),
            span,
            message,
        });
    };
    let f = &layer.file;
    for key in ["select", "ignore"] {
        let list = if key == "select" {
            &f.select
        } else {
            &f.ignore
        };
        for (i, s) in list.iter().flatten().enumerate() {
            if let Err(m) = Selector::parse(s) {
                err(&[Step::Key(key), Step::Index(i)], m);
            }
        }
    }
    let check_severity_keys =
        |map: &Option<BTreeMap<String, Level>>,
         prefix: &[Step<'_>],
         err: &mut dyn FnMut(&[Step<'_>], String)| {
            for id in map.iter().flat_map(|m| m.keys()) {
                if rules::find(id).is_none() {
                    let marked = format!("={id}");
                    let mut path = prefix.to_vec();
                    path.push(Step::Key(&marked));
                    err(
                        &path,
                        unknown_rule_message(id).replace("rule or category", "rule"),
                    );
                }
            }
        };
    check_severity_keys(&f.severity, &[Step::Key("severity")], &mut err);
    for key in ["include", "exclude"] {
        let list = if key == "include" {
            &f.include
        } else {
            &f.exclude
        };
        if let Some(list) = list {
            if let Err((i, m)) = build_globs(list) {
                err(
                    &[Step::Key(key), Step::Index(i)],
                    format!("invalid glob: {m}"),
                );
            }
        }
    }
    for (o, ov) in f.overrides.iter().flatten().enumerate() {
        if let Err((i, m)) = build_globs(&ov.files) {
            err(
                &[
                    Step::Key("overrides"),
                    Step::Index(o),
                    Step::Key("files"),
                    Step::Index(i),
                ],
                format!("invalid glob: {m}"),
            );
        }
        for (i, s) in ov.ignore.iter().flatten().enumerate() {
            if let Err(m) = Selector::parse(s) {
                err(
                    &[
                        Step::Key("overrides"),
                        Step::Index(o),
                        Step::Key("ignore"),
                        Step::Index(i),
                    ],
                    m,
                );
            }
        }
        check_severity_keys(
            &ov.severity,
            &[
                Step::Key("overrides"),
                Step::Index(o),
                Step::Key("severity"),
            ],
            &mut err,
        );
    }
    if let Some(hp) = f
        .rules
        .as_ref()
        .and_then(|r| r.sensitive_host_path.as_ref())
    {
        for (a, allow) in hp.allow.iter().flatten().enumerate() {
            for (i, g) in allow.daemonsets.iter().enumerate() {
                if let Err(e) = Glob::new(g) {
                    err(
                        &[
                            Step::Key("rules"),
                            Step::Key("sensitive-host-path"),
                            Step::Key("allow"),
                            Step::Index(a),
                            Step::Key("daemonsets"),
                            Step::Index(i),
                        ],
                        format!("invalid glob: {}", e.kind()),
                    );
                }
            }
        }
    }
    for (n, set) in f.cross_sets.iter().flatten().enumerate() {
        if let Err((i, m)) = build_globs(&set.files) {
            err(
                &[
                    Step::Key("cross-sets"),
                    Step::Index(n),
                    Step::Key("files"),
                    Step::Index(i),
                ],
                format!("invalid glob: {m}"),
            );
        }
    }
    for (n, e) in f.exemptions.iter().flatten().enumerate() {
        let at = |key: &'static str| [Step::Key("exemptions"), Step::Index(n), Step::Key(key)];
        for (i, g) in e.daemonsets.iter().flatten().enumerate() {
            if let Err(problem) = Glob::new(g) {
                let [a, b, c] = at("daemonsets");
                err(
                    &[a, b, c, Step::Index(i)],
                    format!("invalid glob: {}", problem.kind()),
                );
            }
        }
        for (i, r) in e.rules.iter().enumerate() {
            if let Err(m) = Selector::parse(r) {
                let [a, b, c] = at("rules");
                err(&[a, b, c, Step::Index(i)], m);
            }
        }
        if e.rules.is_empty() {
            err(
                &at("rules"),
                "an exemption names the rules it hides (ids or categories)".into(),
            );
        }
        if e.reason.trim().is_empty() {
            err(
                &at("reason"),
                "an exemption needs a reason: why these findings are accepted".into(),
            );
        }
    }
    if let Some(v) = &f.kube_version {
        if let Err(message) = v.parse::<crate::schema::KubeVersion>() {
            err(&[Step::Key("kube-version")], message);
        }
    }
    errors
}

/// Apply a layer on top of `settings`.
pub fn apply_layer(settings: &mut Settings, layer: &Layer) {
    let f = &layer.file;
    let parse_all = |list: &[String]| {
        list.iter()
            .filter_map(|s| Selector::parse(s).ok())
            .collect::<Vec<_>>()
    };
    if let Some(select) = &f.select {
        settings.selection.select = Some(parse_all(select));
    }
    if let Some(ignore) = &f.ignore {
        settings.selection.ignore.extend(parse_all(ignore));
    }
    if let Some(sev) = &f.severity {
        settings
            .selection
            .severity
            .extend(sev.iter().map(|(k, v)| (k.clone(), *v)));
    }
    if let Some(fail_on) = f.fail_on {
        settings.fail_on = fail_on;
    }
    if let Some(format) = f.format {
        settings.format = Some(format);
    }
    if let Some(include) = &f.include {
        settings.include.clone_from(include);
    }
    if let Some(exclude) = &f.exclude {
        settings.exclude.clone_from(exclude);
        settings.exclude_set = build_globs(exclude)
            .ok()
            .map(|set| (layer.dir.clone(), set));
    }
    for ov in f.overrides.iter().flatten() {
        if let Ok(files) = build_globs(&ov.files) {
            settings.per_path.push((
                layer.dir.clone(),
                PathRule {
                    files,
                    patterns: ov.files.clone(),
                    ignore: ov.ignore.as_deref().map(parse_all).unwrap_or_default(),
                    severity: ov.severity.clone().unwrap_or_default(),
                },
            ));
        }
    }
    if let Some(rules) = &f.rules {
        let o = &mut settings.options;
        if let Some(t) = &rules.missing_control_plane_toleration {
            o.control_plane_taints.clone_from(&t.taints);
        }
        if let Some(m) = &rules.aggressive_max_unavailable {
            if let Some(p) = m.max_percent {
                o.max_unavailable_percent = p;
            }
            if let Some(c) = m.max_count {
                o.max_unavailable_count = c;
            }
        }
        let resources = |current: &mut Vec<String>, opts: &ResourceOptions| {
            for (name, flag) in [("cpu", opts.cpu), ("memory", opts.memory)] {
                match flag {
                    Some(true) if !current.iter().any(|r| r == name) => current.push(name.into()),
                    Some(false) => current.retain(|r| r != name),
                    _ => {}
                }
            }
        };
        if let Some(r) = &rules.missing_resource_requests {
            resources(&mut o.required_requests, r);
        }
        if let Some(r) = &rules.missing_resource_limits {
            resources(&mut o.required_limits, r);
        }
        if let Some(hp) = &rules.sensitive_host_path {
            if let Some(paths) = &hp.paths {
                o.sensitive_host_paths =
                    crate::rules::sensitive_host_path::normalize_entries(paths);
            }
            if let Some(allow) = &hp.allow {
                o.host_path_allow.extend(allow.iter().cloned());
            }
        }
        if let Some(pc) = &rules.missing_priority_class {
            o.priority_classes.clone_from(&pc.classes);
        }
        if let Some(psa) = &rules.pod_security_admission {
            o.pod_security_default_level = psa.default_level;
        }
    }
    for p in f.policies.iter().flatten() {
        settings.policies.push(layer.dir.join(p));
    }
    if let Some(v) = f.kube_version.as_deref().and_then(|v| v.parse().ok()) {
        settings.kube_version = v;
    }
    if let Some(scope) = f.cross_scope {
        settings.cross_scope = scope;
    }
    if let Some(e) = &layer.exemptions {
        settings.exemptions.push(Arc::clone(e));
    }
    if let Some(b) = &layer.baseline {
        settings.baseline = Some(Arc::clone(b));
    }
    if let Some(sets) = &f.cross_sets {
        // The nearest configuration file's sets replace those of the files before it.
        settings.cross_sets = sets
            .iter()
            .filter_map(|set| {
                Some(CrossSet {
                    name: set.name.clone(),
                    base: layer.dir.clone(),
                    files: build_globs(&set.files).ok()?,
                })
            })
            .collect();
    }
    settings.config_files.push(layer.path.clone());
    settings.finish();
}

/// Settings given on the command line: the last layer.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub select: Option<Vec<Selector>>,
    pub ignore: Vec<Selector>,
    pub severity: Vec<(String, Level)>,
    pub fail_on: Option<FailOn>,
    pub exclude: Vec<String>,
    pub policies: Vec<PathBuf>,
    pub kube_version: Option<crate::schema::KubeVersion>,
    /// `--max-file-size`.
    pub max_file_size: Option<u64>,
    /// `--nodes`.
    pub cluster: Option<Arc<crate::coverage::Cluster>>,
    /// Set by `daemonlint inventory`, see [`Settings::inventory`].
    pub inventory: bool,
    /// `--baseline FILE`.
    pub baseline: Option<Arc<crate::suppress_stage::Baseline>>,
    /// `--write-baseline`: no baseline hides anything (the new one records every finding).
    pub no_baseline: bool,
}

impl Overrides {
    fn apply(&self, settings: &mut Settings) {
        if let Some(select) = &self.select {
            settings.selection.select = Some(select.clone());
        }
        settings
            .selection
            .ignore
            .extend(self.ignore.iter().cloned());
        settings
            .selection
            .severity
            .extend(self.severity.iter().cloned());
        if let Some(f) = self.fail_on {
            settings.fail_on = f;
        }
        if let Some(max) = self.max_file_size {
            settings.max_file_size = max;
        }
        if !self.exclude.is_empty() {
            settings.exclude.extend(self.exclude.iter().cloned());
            let cwd = absolute(Path::new("."));
            let cwd = cwd.parent().map(Path::to_path_buf).unwrap_or(cwd);
            settings.exclude_set = build_globs(&settings.exclude).ok().map(|set| {
                let base = settings
                    .exclude_set
                    .as_ref()
                    .map_or(cwd, |(b, _)| b.clone());
                (base, set)
            });
        }
        settings.policies.extend(self.policies.iter().cloned());
        if let Some(v) = self.kube_version {
            settings.kube_version = v;
        }
        if let Some(cluster) = &self.cluster {
            settings.cluster = Some(Arc::clone(cluster));
        }
        settings.inventory |= self.inventory;
        if let Some(b) = &self.baseline {
            settings.baseline = Some(Arc::clone(b));
        }
        if self.no_baseline {
            settings.baseline = None;
        }
        settings.finish();
    }
}

/// Finds and caches the settings that apply to each file.
pub struct Resolver {
    overrides: Overrides,
    explicit: Option<Layer>,
    isolated: bool,
    cache: Mutex<HashMap<PathBuf, Option<Arc<Layer>>>>,
    /// Settings built per applicable configuration file (keyed by its path): layers are
    /// applied and globs compiled once, not once per linted file.
    built: Mutex<HashMap<Option<PathBuf>, Settings>>,
    errors: Mutex<Vec<ConfigError>>,
}

impl Resolver {
    /// `explicit` is `--config FILE`; `isolated` ignores every configuration file.
    pub fn new(
        overrides: Overrides,
        explicit: Option<&Path>,
        isolated: bool,
    ) -> Result<Self, Vec<ConfigError>> {
        let explicit = match explicit {
            Some(path) if !isolated => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    vec![ConfigError {
                        source: Arc::new(SourceFile::new(
                            path.display().to_string(),
                            String::new(),
                        )),
                        span: Span::empty(0),
                        message: format!("cannot read the configuration file: {e}"),
                    }]
                })?;
                Some(parse_layer(path, text)?)
            }
            _ => None,
        };
        Ok(Self {
            overrides,
            explicit,
            isolated,
            cache: Mutex::new(HashMap::new()),
            built: Mutex::new(HashMap::new()),
            errors: Mutex::new(Vec::new()),
        })
    }

    /// The exemption lists and baselines of every settings the run built, for
    /// [`crate::suppress_stage::unused`].
    #[must_use]
    pub fn in_play(&self) -> crate::suppress_stage::InPlay {
        let mut in_play = crate::suppress_stage::InPlay::default();
        if let Ok(built) = self.built.lock() {
            for settings in built.values() {
                in_play.add(settings);
            }
        }
        in_play
    }

    /// Errors met in discovered configuration files.
    pub fn take_errors(&self) -> Vec<ConfigError> {
        self.errors
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// The configuration file nearest to `dir` (walking up), parsed once.
    fn nearest(&self, dir: &Path) -> Option<Arc<Layer>> {
        if let Ok(cache) = self.cache.lock() {
            if let Some(hit) = cache.get(dir) {
                return hit.clone();
            }
        }
        let found = CONFIG_NAMES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file());
        let layer = match found {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(text) => match parse_layer(&path, text) {
                    Ok(layer) => Some(Arc::new(layer)),
                    Err(errs) => {
                        if let Ok(mut e) = self.errors.lock() {
                            e.extend(errs);
                        }
                        None
                    }
                },
                Err(_) => None,
            },
            None => dir.parent().and_then(|p| self.nearest(p)),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(dir.to_path_buf(), layer.clone());
        }
        layer
    }

    /// The settings for a file (or for the working directory when `path` is `None`).
    #[must_use]
    pub fn settings_for(&self, path: Option<&Path>) -> Settings {
        let layer = if self.isolated {
            None
        } else {
            let dir = path
                .map(absolute)
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or_else(|| absolute(Path::new(".")));
            self.nearest(&dir)
                .or_else(|| self.nearest(&absolute(Path::new("."))))
        };
        let key = layer.as_ref().map(|l| l.path.clone());
        let cached = self.built.lock().ok().and_then(|b| b.get(&key).cloned());
        let settings = cached.unwrap_or_else(|| {
            let mut settings = Settings::default();
            if !self.isolated {
                if let Some(layer) = &layer {
                    apply_layer(&mut settings, layer);
                }
                if let Some(explicit) = &self.explicit {
                    apply_layer(&mut settings, explicit);
                }
            }
            self.overrides.apply(&mut settings);
            if let Ok(mut built) = self.built.lock() {
                built.insert(key, settings.clone());
            }
            settings
        });
        match path {
            Some(p) => settings.for_file(p),
            None => settings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Layer, Vec<ConfigError>> {
        parse_layer(Path::new(".daemonlint.yaml"), text.to_string())
    }

    fn error_at(text: &str) -> (String, String) {
        let errs = parse(text).expect_err("invalid");
        let e = &errs[0];
        (e.source.text[e.span.range()].to_string(), e.message.clone())
    }

    #[test]
    fn unknown_keys_point_at_themselves_with_a_suggestion() {
        let (at, msg) = error_at("selct: [all]\n");
        assert_eq!(at, "selct");
        assert!(msg.contains("did you mean `select`"), "{msg}");
        let (at, msg) = error_at("rules:\n  aggressive-max-unavailable:\n    max-precent: 10\n");
        assert_eq!(at, "max-precent");
        assert!(msg.contains("did you mean `max-percent`"), "{msg}");
    }

    #[test]
    fn wrong_types_and_unknown_rules_point_at_the_value() {
        let (at, msg) = error_at("fail-on: sometimes\n");
        assert_eq!(at, "sometimes");
        assert!(msg.contains("fail-on"), "{msg}");
        let (at, msg) = error_at("ignore: [writable-hostpath]\n");
        assert_eq!(at, "writable-hostpath");
        assert!(msg.contains("did you mean `writable-host-path`"), "{msg}");
        let (at, msg) = error_at("severity:\n  host-netwrk: off\n");
        assert_eq!(at, "host-netwrk");
        assert!(msg.contains("did you mean `host-network`"), "{msg}");
        let (at, msg) = error_at("exclude: ['a/[b']\n");
        assert_eq!(at, "'a/[b'");
        assert!(msg.starts_with("invalid glob"), "{msg}");
    }

    #[test]
    fn selection_semantics() {
        let meta = rules::find("host-network").expect("rule");
        let mut s = Selection::default();
        assert_eq!(s.severity_of(meta), Some(Severity::Warning));
        s.ignore.push(Selector::Category(Category::Security));
        assert_eq!(s.severity_of(meta), None);
        let mut s = Selection {
            select: Some(vec![Selector::Rule("host-pid".into())]),
            ..Selection::default()
        };
        assert_eq!(s.severity_of(meta), None);
        s.select = Some(vec![Selector::All]);
        s.severity.insert("host-network".into(), Level::Error);
        assert_eq!(s.severity_of(meta), Some(Severity::Error));
        s.severity.insert("host-network".into(), Level::Off);
        assert_eq!(s.severity_of(meta), None);
    }

    #[test]
    fn resource_options_drop_cpu() {
        let layer = parse("rules:\n  missing-resource-limits:\n    cpu: false\n").expect("valid");
        let mut s = Settings::default();
        apply_layer(&mut s, &layer);
        assert_eq!(s.options.required_limits, vec!["memory".to_string()]);
        assert_eq!(
            s.options.required_requests,
            vec!["cpu".to_string(), "memory".to_string()]
        );
    }

    #[test]
    fn host_path_allow_list() {
        let mut o = RuleOptions::default();
        o.host_path_allow.push(HostPathAllow {
            daemonsets: vec!["fluent-*".into()],
            paths: vec!["/var/log".into()],
            read_only: true,
        });
        assert!(o.host_path_allowed(Some("fluent-bit"), "/var/log/pods", true));
        assert!(!o.host_path_allowed(Some("fluent-bit"), "/var/log", false));
        assert!(!o.host_path_allowed(Some("fluent-bit"), "/var/logs", true));
        assert!(!o.host_path_allowed(Some("node-exporter"), "/var/log", true));
    }
}
