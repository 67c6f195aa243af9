//! The `.daemonlint.yaml` file as written: every key, its JSON Schema (generated into
//! `docs/daemonlint.schema.json`).

use super::*;

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
    /// How Helm charts are rendered (the command-line flags win).
    pub helm: Option<HelmFile>,
    /// How Kustomize overlays are built (the command-line flags win).
    pub kustomize: Option<KustomizeFile>,
}

/// `helm`: how charts (directories holding `Chart.yaml`) are rendered before they are linted.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HelmFile {
    /// The helm binary (a path relative to this file, or a name on PATH; default `helm`).
    pub path: Option<String>,
    /// The release name (`helm template NAME`; default `release`).
    pub release: Option<String>,
    /// The namespace charts are rendered into (`helm template --namespace`).
    pub namespace: Option<String>,
    /// Seconds one `helm template` may run (default 60).
    pub timeout: Option<u64>,
    /// Per chart (its directory, relative to this file), named lists of values files (relative
    /// to this file): the chart is rendered once per list, each rendering linted, and a finding
    /// of several renderings reported once, naming them.
    pub value_sets: Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>,
}

/// `kustomize`: how kustomizations are built before they are linted.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KustomizeFile {
    /// The kubectl (`kubectl kustomize`) or, when its file name is `kustomize`, the kustomize
    /// binary (`kustomize build`): a path relative to this file, or a name on PATH.
    pub path: Option<String>,
    /// Seconds one build may run (default 60).
    pub timeout: Option<u64>,
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
