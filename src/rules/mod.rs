//! The rule registry (a static table) and the engine that runs it over a DaemonSet.

mod aggressive_max_unavailable;
mod api_server;
mod dangerous_capabilities;
mod deprecated_api_version;
mod duplicate_name;
mod duplicate_port;
mod host_namespaces;
mod host_network_dns_policy;
mod host_port;
mod image_tag_latest;
mod invalid_name;
mod invalid_port_name;
mod invalid_rolling_update;
mod max_surge_host_port;
mod missing_control_plane_toleration;
pub mod missing_priority_class;
mod missing_probes;
mod missing_resources;
mod missing_selector;
mod on_delete_strategy;
mod privilege_escalation;
mod privileged_container;
mod pss;
mod run_as_root;
mod selector_mismatch;
mod undefined_volume;
mod writable_host_path;
mod writable_root_filesystem;

pub mod rolling_update;
pub mod sensitive_host_path;
pub mod tolerations;
pub mod yaml_1_1_ambiguity;

use std::borrow::Cow;

use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Fix, Label, ObjectRef, Severity};
use crate::manifest::{DaemonSet, Object};
use crate::source::Span;

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

/// What a rule reports; the engine stamps rule id, severity, document, path and object.
#[derive(Debug)]
pub struct Violation {
    pub span: Span,
    pub message: String,
    /// Advice, most often a fixed text (not allocated per finding).
    pub help: Option<Cow<'static, str>>,
    pub labels: Vec<Label>,
    pub fix: Option<Fix>,
    /// This finding's severity when it differs from the rule's default (a writable mount of a
    /// sensitive path is an error where a read-only one is a warning). The engine uses it unless
    /// the user set the rule to another severity than its default: that severity always wins.
    pub severity: Option<Severity>,
    /// The finding is about a field the document does not have. On a partial document (a
    /// patch, see [`crate::k8s::partial`]) what it lacks comes from its base, so the engine
    /// drops such findings there.
    pub absent: bool,
}

impl Violation {
    #[must_use]
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            help: None,
            labels: Vec::new(),
            fix: None,
            severity: None,
            absent: false,
        }
    }

    /// Report this finding at `severity` instead of the rule's default severity, unless the user
    /// configured one for the rule.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// Mark the finding as one about an absent field (dropped on partial documents).
    #[must_use]
    pub fn absent(mut self) -> Self {
        self.absent = true;
        self
    }

    /// [`Violation::absent`] when `absent` holds.
    #[must_use]
    pub fn absent_if(mut self, absent: bool) -> Self {
        self.absent |= absent;
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }

    #[must_use]
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label::new(span, message));
        self
    }
}

/// What a rule may read besides the DaemonSet.
pub struct RuleCx<'a> {
    pub settings: &'a Settings,
    /// The file's text, for fixes that follow its style.
    pub text: &'a str,
}

pub type CheckFn = fn(&DaemonSet<'_>, &RuleCx<'_>, &mut Vec<Violation>);

/// A rule: metadata plus its check. Rules never read files, print or know the output format.
pub struct Rule {
    pub meta: RuleMeta,
    pub check: CheckFn,
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

/// Every DaemonSet rule, in documentation order.
pub static RULES: &[&Rule] = &[
    &missing_control_plane_toleration::RULE,
    &missing_priority_class::RULE,
    &missing_resources::REQUESTS,
    &missing_resources::LIMITS,
    &writable_host_path::RULE,
    &sensitive_host_path::RULE,
    &privileged_container::RULE,
    &dangerous_capabilities::RULE,
    &privilege_escalation::RULE,
    &run_as_root::RULE,
    &writable_root_filesystem::RULE,
    &host_namespaces::HOST_NETWORK,
    &host_network_dns_policy::RULE,
    &host_port::RULE,
    &host_namespaces::HOST_PID,
    &host_namespaces::HOST_IPC,
    &aggressive_max_unavailable::RULE,
    &max_surge_host_port::RULE,
    &invalid_rolling_update::RULE,
    &on_delete_strategy::RULE,
    &selector_mismatch::RULE,
    &missing_selector::RULE,
    &invalid_name::RULE,
    &undefined_volume::RULE,
    &duplicate_name::RULE,
    &duplicate_port::RULE,
    &invalid_port_name::RULE,
    &deprecated_api_version::RULE,
    &image_tag_latest::RULE,
    &missing_probes::LIVENESS,
    &missing_probes::READINESS,
    &pss::BASELINE_HOST_PROCESS,
    &pss::BASELINE_HOST_NAMESPACES,
    &pss::BASELINE_PRIVILEGED_CONTAINERS,
    &pss::BASELINE_CAPABILITIES,
    &pss::BASELINE_HOST_PATH_VOLUMES,
    &pss::BASELINE_HOST_PORTS,
    &pss::BASELINE_APPARMOR,
    &pss::BASELINE_SELINUX,
    &pss::BASELINE_PROC_MOUNT,
    &pss::BASELINE_SECCOMP,
    &pss::BASELINE_SYSCTLS,
    &pss::RESTRICTED_VOLUME_TYPES,
    &pss::RESTRICTED_PRIVILEGE_ESCALATION,
    &pss::RESTRICTED_RUN_AS_NON_ROOT,
    &pss::RESTRICTED_RUN_AS_NON_ROOT_USER,
    &pss::RESTRICTED_SECCOMP,
    &pss::RESTRICTED_CAPABILITIES,
];

/// Metadata of every rule, engine rules included.
pub fn all_meta() -> impl Iterator<Item = &'static RuleMeta> {
    [
        &YAML_SYNTAX,
        &INVALID_DAEMONSET,
        &IO_ERROR,
        &INVALID_CONFIG,
        &UNUSED_SUPPRESSION,
        &INVALID_SUPPRESSION,
        &UNKNOWN_FIELD,
        &INVALID_TYPE,
        &MISSING_FIELD,
        &INVALID_VALUE,
        &DUPLICATE_KEY,
        &YAML_1_1_AMBIGUITY,
        &INVALID_POLICY,
    ]
    .into_iter()
    .chain(RULES.iter().map(|r| &r.meta))
    .chain(RUN_LEVEL.iter().copied())
}

#[must_use]
pub fn find(id: &str) -> Option<&'static RuleMeta> {
    all_meta().find(|m| m.id == id)
}

/// Where a rule's page is published.
#[must_use]
pub fn docs_url(id: &str) -> String {
    format!("https://github.com/daemonlint/daemonlint/blob/main/rules/{id}.md")
}

/// The documentation page of a rule (the committed `rules/<id>.md`).
#[must_use]
pub fn docs_page(id: &str) -> Option<&'static str> {
    crate::rules_docs::page(id)
}

/// The name of the container whose text holds `span`.
#[must_use]
pub fn container_of(ds: &DaemonSet<'_>, span: Span) -> Option<String> {
    ds.all_containers()
        .find(|c| {
            let own = c.node.own_span();
            own.start <= span.start && span.end <= own.end
        })
        .and_then(|c| c.name().map(str::to_string))
}

/// Stamp a finding about `object` with its rule, severity, document and path. The object's
/// reference is left to the caller, which shares one among the object's findings
/// ([`stamp_object`]).
#[must_use]
pub fn object_diagnostic(
    object: &Object<'_>,
    rule: impl Into<std::borrow::Cow<'static, str>>,
    severity: Severity,
    v: Violation,
) -> Diagnostic {
    Diagnostic {
        rule: rule.into(),
        severity,
        message: v.message,
        help: v.help,
        path: object.path_to(v.span),
        span: v.span,
        labels: v.labels,
        fix: v.fix,
        document: object.document,
        object: None,
        container: None,
        suppressed: None,
        docs: None,
        mapping: None,
    }
}

/// Give the findings of one object (those without one yet) its shared reference.
pub fn stamp_object(reference: &std::sync::Arc<ObjectRef>, findings: &mut [Diagnostic]) {
    for d in findings.iter_mut().filter(|d| d.object.is_none()) {
        d.object = Some(std::sync::Arc::clone(reference));
    }
}

/// Report `v` under the engine rule `meta` unless the settings turn it off.
pub fn push_engine_finding(
    object: &Object<'_>,
    meta: &'static RuleMeta,
    settings: &Settings,
    v: Violation,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(severity) = settings.severity_of(meta) {
        out.push(object_diagnostic(object, meta.id, severity, v));
    }
}

/// Run every enabled rule over a DaemonSet.
pub fn check_daemonset(
    ds: &DaemonSet<'_>,
    text: &str,
    settings: &Settings,
    out: &mut Vec<Diagnostic>,
) {
    let cx = RuleCx { settings, text };
    let partial = crate::k8s::partial::is_partial(ds.object.node);
    let mut violations = Vec::new();
    for rule in RULES {
        let Some(severity) = settings.severity_of(&rule.meta) else {
            continue;
        };
        let configured = settings.severity_configured(rule.meta.id, rule.meta.default_severity);
        (rule.check)(ds, &cx, &mut violations);
        for v in violations.drain(..) {
            if partial && v.absent {
                continue;
            }
            let severity = match v.severity {
                Some(own) if !configured => own,
                _ => severity,
            };
            let container = container_of(ds, v.span);
            let mut d = object_diagnostic(&ds.object, rule.meta.id, severity, v);
            d.container = container;
            out.push(d);
        }
    }
}

/// Where links that leave the rule pages (to the schemas' or the policies' README) point.
const REPOSITORY_FILES: &str = "https://github.com/daemonlint/daemonlint/blob/main/";

/// The note that opens every generated page of the book.
const GENERATED: &str =
    "<!-- Generated from the rule registry and rules/<id>.md by `DAEMONLINT_BLESS=1 cargo test --test it registry::`; do not edit. -->\n";

fn fix_name(fix: FixKind) -> &'static str {
    match fix {
        FixKind::None => "",
        FixKind::Safe => "safe",
        FixKind::Unsafe => "unsafe",
    }
}

fn default_level(meta: &RuleMeta) -> String {
    if meta.default_enabled {
        meta.default_severity.to_string()
    } else {
        format!("{} (off by default)", meta.default_severity)
    }
}

/// The generated rule reference of the book (`docs/src/rules.md`), built from the registry: one
/// row per rule, linking to its page.
#[must_use]
pub fn reference_markdown() -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "{GENERATED}# Rules\n\n\
         Every rule daemonlint has, with its default severity. Rules *off by default* run only when \
         selected (`select`, `--select`, or a severity in the configuration). A rule's findings can \
         carry their own severity (a writable `sensitive-host-path` is an error, a read-only one a \
         warning); setting the rule's severity in the configuration overrides it. `daemonlint rules` \
         lists the same table, and `daemonlint rule <id>` prints a rule's page.\n\n\
         | id | severity | category | fix | summary |\n|---|---|---|---|---|\n"
    );
    for meta in all_meta() {
        let _ = writeln!(
            out,
            "| [`{id}`](rules/{id}.md) | {} | {} | {} | {} |",
            default_level(meta),
            meta.category.as_str(),
            fix_name(meta.fix),
            meta.summary,
            id = meta.id
        );
    }
    out
}

/// The generated page of one rule in the book (`docs/src/rules/<id>.md`): its registry entry and
/// its committed page (`rules/<id>.md`), with links out of the rule pages made absolute.
#[must_use]
pub fn book_page(meta: &RuleMeta) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{GENERATED}# {}\n\n", meta.id);
    let _ = writeln!(
        out,
        "| severity | category | fix | since |\n|---|---|---|---|\n| {} | {} | {} | {} |\n\n{}.\n",
        default_level(meta),
        meta.category.as_str(),
        match fix_name(meta.fix) {
            "" => "none",
            name => name,
        },
        meta.since,
        meta.summary.trim_end_matches('.')
    );
    let body = crate::rules_docs::body(meta.id).unwrap_or_default();
    let title = format!("# {}\n", meta.id);
    let body = body.strip_prefix(title.as_str()).unwrap_or(body);
    // A link into the book (`../docs/src/...`) stays in the book; any other link out of
    // `rules/` points at the file in the repository.
    let mut rest = body.trim_start_matches('\n');
    while let Some(at) = rest.find("](../") {
        out.push_str(&rest[..at + 2]);
        rest = &rest[at + 2..];
        if let Some(page) = rest.strip_prefix("../docs/src/") {
            out.push_str("../");
            rest = page;
        } else {
            out.push_str(REPOSITORY_FILES);
            rest = &rest[3..];
        }
    }
    out.push_str(rest);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Every generated page of the book, as (path relative to `docs/src`, text).
#[must_use]
pub fn book_pages() -> Vec<(String, String)> {
    let mut pages = vec![("rules.md".to_string(), reference_markdown())];
    pages.extend(all_meta().map(|meta| (format!("rules/{}.md", meta.id), book_page(meta))));
    pages
}

/// `SUMMARY.md` with the entries under its `- [Rules](rules.md)` line replaced by one entry per
/// rule, in registry order (the rest of the file is written by hand and kept as it is).
#[must_use]
pub fn book_summary(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut lines = summary.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        if line.trim_start() == "- [Rules](rules.md)" {
            let indent = &line[..line.len() - line.trim_start().len()];
            while lines
                .peek()
                .is_some_and(|next| next.starts_with(&format!("{indent}  ")))
            {
                lines.next();
            }
            for meta in all_meta() {
                out.push_str(&format!(
                    "{indent}  - [{id}](rules/{id}.md)\n",
                    id = meta.id
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use crate::diagnostic::Severity;
    use crate::source::SourceFile;

    const WRITABLE_ROOT: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\n\
        spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n\
        \x20   spec:\n      containers:\n        - name: a\n          image: a:1\n\
        \x20         volumeMounts: [{name: root, mountPath: /host}]\n\
        \x20     volumes: [{name: root, hostPath: {path: /}}]\n";

    fn severities(settings: &Settings) -> Vec<Severity> {
        crate::Linter::new(settings)
            .check_source(SourceFile::new("a.yaml", WRITABLE_ROOT.to_string()), None)
            .diagnostics
            .iter()
            .filter(|d| d.rule == "sensitive-host-path")
            .map(|d| d.severity)
            .collect()
    }

    #[test]
    fn a_finding_keeps_its_own_severity_unless_the_user_sets_another() {
        use crate::config::Level;
        let mut settings = Settings::default();
        assert_eq!(severities(&settings), vec![Severity::Error]);
        // Setting the rule to its default severity only turns it on.
        settings
            .selection
            .severity
            .insert("sensitive-host-path".into(), Level::Warning);
        assert_eq!(severities(&settings), vec![Severity::Error]);
        settings
            .selection
            .severity
            .insert("sensitive-host-path".into(), Level::Info);
        assert_eq!(severities(&settings), vec![Severity::Info]);
        settings
            .selection
            .severity
            .insert("sensitive-host-path".into(), Level::Off);
        assert!(severities(&settings).is_empty());
    }

    /// A Kustomize patch: no selector, no pod labels.
    const PATCH: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec:\n\
        \x20 template:\n    spec:\n      hostNetwork: true\n      containers:\n\
        \x20       - name: a\n          image: a:1\n\
        \x20         securityContext: {privileged: true, readOnlyRootFilesystem: false}\n\
        \x20         volumeMounts: [{name: host, mountPath: /host}]\n";

    fn rules_fired(text: &str) -> Vec<String> {
        let mut settings = Settings::default();
        settings.selection.select = Some(vec![crate::config::Selector::All]);
        let mut fired: Vec<String> = crate::Linter::new(&settings)
            .check_source(SourceFile::new("a.yaml", text.to_string()), None)
            .diagnostics
            .iter()
            .map(|d| d.rule.to_string())
            .collect();
        fired.sort();
        fired.dedup();
        fired
    }

    #[test]
    fn a_partial_document_reports_what_it_says_not_what_it_lacks() {
        let fired = rules_fired(PATCH);
        // What the patch says is judged...
        for rule in [
            "privileged-container",
            "host-network",
            "writable-root-filesystem",
        ] {
            assert!(fired.iter().any(|r| r == rule), "{rule} not in {fired:?}");
        }
        // ...what it leaves to its base is not: no rule about an absent field fires.
        for rule in [
            "missing-field",
            "missing-selector",
            "missing-priority-class",
            "missing-control-plane-toleration",
            "missing-resource-requests",
            "missing-resource-limits",
            "missing-liveness-probe",
            "missing-readiness-probe",
            "run-as-root",
            "host-network-dns-policy",
            "undefined-volume",
        ] {
            assert!(!fired.iter().any(|r| r == rule), "{rule} in {fired:?}");
        }
        // The same object with a selector and pod labels is whole: they all fire.
        let whole = PATCH.replace(
            "spec:\n  template:\n    spec:\n",
            "spec:\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n",
        );
        let fired = rules_fired(&whole);
        for rule in [
            "missing-selector",
            "missing-priority-class",
            "missing-resource-requests",
            "host-network-dns-policy",
            "undefined-volume",
        ] {
            assert!(fired.iter().any(|r| r == rule), "{rule} not in {fired:?}");
        }
    }
}
