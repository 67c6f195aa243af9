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
    /// Host paths that `sensitive-host-path` reports: a hostPath at, under, or above one of these
    /// (after normalising `//`, `.`, `..` and a trailing `/`). An entry starting with `!` exempts
    /// its subtree; the longest matching entry wins. Entries whose file name ends in `.sock` are
    /// container runtime sockets, also recognised by file name anywhere.
    pub sensitive_host_paths: Vec<String>,
    /// Priority classes that satisfy `missing-priority-class`.
    pub priority_classes: Vec<String>,
}

/// The default `sensitive_host_paths`.
pub const DEFAULT_SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/boot",
    "/dev",
    "/etc",
    "/etc/kubernetes",
    "/lib",
    "/proc",
    "/root",
    "/sys",
    "/usr",
    "/var/lib/kubelet",
    "/var/lib/containerd",
    "/var/lib/docker",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    // Interfaces the kubelet offers node agents (CSI and device plugin registration, the
    // pod-resources API), the CNI configuration a network plugin installs, and files agents read
    // to learn the node's identity, OS and time zone.
    "!/var/lib/kubelet/plugins",
    "!/var/lib/kubelet/plugins_registry",
    "!/var/lib/kubelet/device-plugins",
    "!/var/lib/kubelet/pod-resources",
    "!/etc/cni/net.d",
    "!/etc/localtime",
    "!/etc/machine-id",
    "!/etc/os-release",
    "!/etc/lsb-release",
    "!/etc/redhat-release",
    "!/etc/fedora-release",
];

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
            priority_classes: DEFAULT_PRIORITY_CLASSES
                .iter()
                .map(|p| (*p).to_string())
                .collect(),
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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            options: RuleOptions::default(),
            severities: BTreeMap::new(),
            fail_on: FailOn::Warning,
            limits: crate::yaml::Limits::default(),
            max_file_size: 64 * 1024 * 1024,
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

    /// True when the user set the rule to a severity other than its default. A finding's own
    /// severity (see `Violation::severity`) applies only when this is false: setting a rule to
    /// its default severity just turns it on.
    #[must_use]
    pub fn severity_configured(&self, rule: &str, default: Severity) -> bool {
        matches!(self.severities.get(rule), Some(Some(s)) if *s != default)
    }
}
