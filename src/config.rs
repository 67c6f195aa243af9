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

use globset::Glob;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;
use crate::source::{SourceFile, Span};
use crate::yaml::json::Step;

// The resolved settings: one layer below the configuration files that produce them.
pub use crate::rules::unknown_rule_message;
pub use crate::settings::*;
use crate::settings::{absolute, build_globs};

/// The names a configuration file may have, in the order they are looked for.
pub const CONFIG_NAMES: &[&str] = &[".daemonlint.yaml", ".daemonlint.yml"];

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
    pub default_level: crate::k8s::pss::Level,
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
#[derive(Debug)]
pub struct ConfigError {
    pub source: Arc<SourceFile>,
    pub span: Span,
    pub message: String,
}

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
    pub cluster: Option<Arc<crate::k8s::scheduling::Cluster>>,
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
    use crate::registry::Category;

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
