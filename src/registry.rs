//! The rule registry: what a rule is to everything but its check (id, severity, category,
//! summary, fix kind, version; [`RuleMeta`]), the rules the engine reports itself (YAML syntax,
//! schema, suppressions, configuration, policies, the run-level checks) and where a rule's page
//! is published. The DaemonSet rules and their checks are one layer up, in [`crate::rules`].

use crate::diagnostic::Severity;

/// The rule families, as shown in `daemonlint rules` and usable in selections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// The manifest is broken: the API server rejects it or it does not do what it says.
    Correctness,
    /// The agent may be missing from nodes, evicted or taken down at once.
    Reliability,
    /// The agent holds more access to the node than it should.
    Security,
    /// Resource accounting across every node.
    Resources,
}

impl Category {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Correctness => "correctness",
            Self::Reliability => "reliability",
            Self::Security => "security",
            Self::Resources => "resources",
        }
    }

    pub const ALL: [Category; 4] = [
        Self::Correctness,
        Self::Reliability,
        Self::Security,
        Self::Resources,
    ];
}

/// Whether and how a rule offers fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixKind {
    None,
    Safe,
    Unsafe,
}

/// A rule's metadata: the single source of truth for docs, `daemonlint rules` and SARIF.
#[derive(Debug, serde::Serialize)]
pub struct RuleMeta {
    pub id: &'static str,
    pub default_severity: Severity,
    pub category: Category,
    pub summary: &'static str,
    /// Off unless selected.
    pub default_enabled: bool,
    pub fix: FixKind,
    /// The version that introduced the rule.
    pub since: &'static str,
}

/// Rules the engine itself reports (not run per DaemonSet).
pub static YAML_SYNTAX: RuleMeta = RuleMeta {
    id: "yaml-syntax",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "The file is not valid YAML (or JSON), is not UTF-8, or exceeds a safety limit",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static INVALID_DAEMONSET: RuleMeta = RuleMeta {
    id: "invalid-daemonset",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "A DaemonSet whose shape makes linting impossible (no pod template, no containers, wrong types)",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static IO_ERROR: RuleMeta = RuleMeta {
    id: "io-error",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "A file could not be read",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static INVALID_CONFIG: RuleMeta = RuleMeta {
    id: "invalid-config",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary:
        "The configuration file has an unknown key, a wrong type, an unknown rule id or a bad glob",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    id: "unused-suppression",
    default_severity: Severity::Warning,
    category: Category::Correctness,
    summary: "A suppression comment or annotation that silences no finding",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static INVALID_SUPPRESSION: RuleMeta = RuleMeta {
    id: "invalid-suppression",
    default_severity: Severity::Warning,
    category: Category::Correctness,
    summary: "A suppression without a reason, with an unknown rule id, or malformed",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static POD_SECURITY_ADMISSION: RuleMeta = RuleMeta {
    id: "pod-security-admission",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "The DaemonSet's namespace enforces (or warns about) a Pod Security Standards level its pods violate",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.2.0",
};

pub static MISSING_SERVICE_ACCOUNT: RuleMeta = RuleMeta {
    id: "missing-service-account",
    default_severity: Severity::Info,
    category: Category::Correctness,
    summary: "The pods' ServiceAccount is not among the ServiceAccounts the linted files define for that namespace",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.2.0",
};

pub static CLUSTER_ADMIN_BINDING: RuleMeta = RuleMeta {
    id: "cluster-admin-binding",
    default_severity: Severity::Error,
    category: Category::Security,
    summary: "A binding in the linted files gives the DaemonSet's ServiceAccount cluster-admin (or `*` on `*`)",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.2.0",
};

pub static MISSING_CONFIG_REFERENCE: RuleMeta = RuleMeta {
    id: "missing-config-reference",
    default_severity: Severity::Warning,
    category: Category::Correctness,
    summary: "A ConfigMap or Secret the pods need is not among those the linted files define for that namespace",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.2.0",
};

/// Rules that run once over every linted file (cross-object checks), after per-file linting.
pub static RUN_LEVEL: &[&RuleMeta] = &[
    &POD_SECURITY_ADMISSION,
    &MISSING_SERVICE_ACCOUNT,
    &CLUSTER_ADMIN_BINDING,
    &MISSING_CONFIG_REFERENCE,
];

/// True for the id of a run-level rule.
#[must_use]
pub fn is_run_level(id: &str) -> bool {
    RUN_LEVEL.iter().any(|m| m.id == id)
}

pub static UNKNOWN_FIELD: RuleMeta = RuleMeta {
    id: "unknown-field",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "A field the Kubernetes schema does not know (a typo or a field at the wrong level)",
    default_enabled: true,
    fix: FixKind::Unsafe,
    since: "0.1.0",
};

pub static INVALID_TYPE: RuleMeta = RuleMeta {
    id: "invalid-type",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "A value of the wrong type for the Kubernetes schema (a quoted number, a mapping where a list belongs)",
    default_enabled: true,
    fix: FixKind::Unsafe,
    since: "0.1.0",
};

pub static MISSING_FIELD: RuleMeta = RuleMeta {
    id: "missing-field",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "A field the Kubernetes schema requires is missing",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static INVALID_VALUE: RuleMeta = RuleMeta {
    id: "invalid-value",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary:
        "A value Kubernetes rejects: not one of the allowed values, out of range, not a quantity",
    default_enabled: true,
    fix: FixKind::Unsafe,
    since: "0.1.0",
};

pub static DUPLICATE_KEY: RuleMeta = RuleMeta {
    id: "duplicate-key",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "A key repeated in the same mapping: kubectl rejects the document, other tools keep one value",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

pub static YAML_1_1_AMBIGUITY: RuleMeta = RuleMeta {
    id: "yaml-1-1-ambiguity",
    default_severity: Severity::Warning,
    category: Category::Correctness,
    summary: "A plain `yes`/`no`/`on`/`off` or `0640` that Kubernetes (YAML 1.1) and YAML 1.2 tools read differently",
    default_enabled: true,
    fix: FixKind::Safe,
    since: "0.1.0",
};

pub static INVALID_POLICY: RuleMeta = RuleMeta {
    id: "invalid-policy",
    default_severity: Severity::Error,
    category: Category::Correctness,
    summary: "A custom policy file that cannot be used (bad YAML, bad schema, unknown target, missing id)",
    default_enabled: true,
    fix: FixKind::None,
    since: "0.1.0",
};

/// Where a rule's page is published.
pub use crate::diagnostic::rule_docs_url as docs_url;
