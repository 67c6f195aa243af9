//! Settings that shape a run: which rules run at which severity, rule options, thresholds.
//!
//! Defaults live here; the configuration file and command-line flags override them.

use std::collections::BTreeMap;

use crate::diagnostic::Severity;

/// When the run counts as failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// Options the rules read. Every field has a documented default.
#[derive(Clone, Debug)]
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
}

impl Default for RuleOptions {
    fn default() -> Self {
        Self {
            control_plane_taints: vec!["node-role.kubernetes.io/control-plane".into()],
            max_unavailable_percent: 25,
            max_unavailable_count: 5,
            required_requests: vec!["cpu".into(), "memory".into()],
            required_limits: vec!["cpu".into(), "memory".into()],
        }
    }
}

/// Everything a lint needs besides the text.
#[derive(Clone, Debug)]
pub struct Settings {
    pub options: RuleOptions,
    /// Per-rule severity overrides; `None` turns the rule off.
    pub severities: BTreeMap<String, Option<Severity>>,
    pub fail_on: FailOn,
    pub limits: crate::yaml::Limits,
    /// Largest file read, in bytes.
    pub max_file_size: u64,
    /// The Kubernetes version whose schema `apps/v1` DaemonSets are validated against.
    pub kube_version: crate::schema::KubeVersion,
    /// Custom policy files (see [`crate::policy`]); loaded once per run.
    pub policies: Vec<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            options: RuleOptions::default(),
            severities: BTreeMap::new(),
            fail_on: FailOn::Warning,
            limits: crate::yaml::Limits::default(),
            max_file_size: 64 * 1024 * 1024,
            kube_version: crate::schema::KubeVersion::newest(),
            policies: Vec::new(),
        }
    }
}

impl Settings {
    /// The severity a rule runs at, or `None` when it is off.
    #[must_use]
    pub fn severity_of(&self, rule: &str, default: Option<Severity>) -> Option<Severity> {
        match self.severities.get(rule) {
            Some(over) => *over,
            None => default,
        }
    }
}
