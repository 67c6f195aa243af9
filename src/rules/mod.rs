//! The rules (a static table of metadata and check functions) and the engine that runs them
//! over a DaemonSet. The metadata types and the engine-level rules are in [`crate::registry`].

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

pub mod sensitive_host_path;
// Kubernetes semantics the rules share with the coverage, under their old paths.
pub use crate::k8s::{rolling_update, tolerations};
pub mod yaml_1_1_ambiguity;

use std::borrow::Cow;

use crate::diagnostic::{Diagnostic, Fix, Label, ObjectRef, Severity};
use crate::manifest::{DaemonSet, Object};
use crate::settings::Settings;
use crate::settings::{did_you_mean, Selector};
use crate::source::Span;

// The metadata of the rules and the rules the engine reports itself: the registry, one layer
// below the rules (settings and selections read it).
pub use crate::registry::*;

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
    /// The nodes given with `--nodes`: rules that can use real nodes name them.
    pub cluster: Option<&'a crate::k8s::scheduling::Cluster>,
}

pub type CheckFn = fn(&DaemonSet<'_>, &RuleCx<'_>, &mut Vec<Violation>);

/// A rule: metadata plus its check. Rules never read files, print or know the output format.
pub struct Rule {
    pub meta: RuleMeta,
    pub check: CheckFn,
}

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

impl Selector {
    /// Parse a selector; unknown names get a "did you mean".
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "all" {
            return Ok(Self::All);
        }
        if let Some(c) = Category::ALL.iter().find(|c| c.as_str() == text) {
            return Ok(Self::Category(*c));
        }
        if find(text).is_some() {
            return Ok(Self::Rule(text.to_string()));
        }
        Err(unknown_rule_message(text))
    }
}

/// "unknown rule `x` (did you mean `y`?)".
#[must_use]
pub fn unknown_rule_message(text: &str) -> String {
    let candidates = all_meta()
        .map(|m| m.id)
        .chain(Category::ALL.iter().map(|c| c.as_str()))
        .chain(std::iter::once("all"));
    match did_you_mean(text, candidates) {
        Some(s) => format!("unknown rule or category `{text}` (did you mean `{s}`?)"),
        None => format!("unknown rule or category `{text}`; `daemonlint rules` lists them"),
    }
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
    cluster: Option<&crate::k8s::scheduling::Cluster>,
    out: &mut Vec<Diagnostic>,
) {
    let cx = RuleCx {
        settings,
        text,
        cluster,
    };
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
            "pss-baseline-privileged-containers",
            "pss-baseline-host-namespaces",
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
            "pss-restricted-privilege-escalation",
            "pss-restricted-run-as-non-root",
            "pss-restricted-seccomp",
            "pss-restricted-capabilities",
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
            "pss-restricted-run-as-non-root",
            "pss-restricted-seccomp",
            "pss-restricted-capabilities",
        ] {
            assert!(fired.iter().any(|r| r == rule), "{rule} not in {fired:?}");
        }
    }
}
