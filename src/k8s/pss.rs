//! The Pod Security Standards, control by control, evaluated over a DaemonSet's pod template.
//!
//! Source: <https://kubernetes.io/docs/concepts/security/pod-security-standards/> (the latest
//! version of the standards). Each control is one rule (`pss-baseline-*`, `pss-restricted-*`);
//! this module computes the findings, the rules only select theirs.

use crate::manifest::{normalize_capability, Container, DaemonSet};
use crate::source::Span;
use crate::yaml::Node;

/// A Pod Security Standards level, ordered from the most permissive.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Privileged => "privileged",
            Self::Baseline => "baseline",
            Self::Restricted => "restricted",
        }
    }

    /// `privileged`, `baseline`, `restricted` (as in the namespace labels).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "privileged" => Some(Self::Privileged),
            "baseline" => Some(Self::Baseline),
            "restricted" => Some(Self::Restricted),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One control of the standards.
#[derive(Debug)]
pub struct Control {
    /// The rule id.
    pub id: &'static str,
    /// The lowest level that requires the control.
    pub level: Level,
    /// The control's name in the Kubernetes documentation.
    pub name: &'static str,
}

macro_rules! controls {
    ($($id:literal, $level:ident, $name:literal;)*) => {
        /// Every control, in the order of the Kubernetes documentation.
        pub static CONTROLS: &[Control] = &[$(Control { id: $id, level: Level::$level, name: $name }),*];
    };
}

controls! {
    "pss-baseline-host-process", Baseline, "HostProcess";
    "pss-baseline-host-namespaces", Baseline, "Host Namespaces";
    "pss-baseline-privileged-containers", Baseline, "Privileged Containers";
    "pss-baseline-capabilities", Baseline, "Capabilities";
    "pss-baseline-host-path-volumes", Baseline, "HostPath Volumes";
    "pss-baseline-host-ports", Baseline, "Host Ports";
    "pss-baseline-apparmor", Baseline, "AppArmor";
    "pss-baseline-selinux", Baseline, "SELinux";
    "pss-baseline-proc-mount", Baseline, "/proc Mount Type";
    "pss-baseline-seccomp", Baseline, "Seccomp";
    "pss-baseline-sysctls", Baseline, "Sysctls";
    "pss-restricted-volume-types", Restricted, "Volume Types";
    "pss-restricted-privilege-escalation", Restricted, "Privilege Escalation";
    "pss-restricted-run-as-non-root", Restricted, "Running as Non-root";
    "pss-restricted-run-as-non-root-user", Restricted, "Running as Non-root user";
    "pss-restricted-seccomp", Restricted, "Seccomp";
    "pss-restricted-capabilities", Restricted, "Capabilities";
}

#[must_use]
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

/// One violation of a control.
#[derive(Clone, Debug)]
pub struct Finding {
    pub control: &'static Control,
    pub span: Span,
    /// What violates the control, short enough to list: "hostPath volume `varlog`".
    pub what: String,
    /// The violation is a field left out (`runAsNonRoot` unset), not a value set: on a patch
    /// (see [`super::partial`]) the base may set it, so it is not reported there.
    pub absent: bool,
}

/// Capabilities the baseline level allows to add.
pub const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The sysctls the baseline level allows (the safe set of the latest version).
pub const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/// SELinux types the baseline level allows (besides undefined and "").
pub const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Volume sources the restricted level allows.
pub const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

/// Every violation of every control, in control order.
#[must_use]
pub fn evaluate(ds: &DaemonSet<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in CONTROLS {
        check(ds, c, &mut out);
    }
    out
}

/// The violations of one control.
#[must_use]
pub fn evaluate_control(ds: &DaemonSet<'_>, id: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(c) = control(id) {
        check(ds, c, &mut out);
    }
    out
}

/// The highest level whose every control the findings leave satisfied.
#[must_use]
pub fn level_of(findings: &[Finding]) -> Level {
    if findings.iter().any(|f| f.control.level == Level::Baseline) {
        Level::Privileged
    } else if findings.is_empty() {
        Level::Restricted
    } else {
        Level::Baseline
    }
}

/// True when the findings violate `level` (a privileged namespace admits anything).
#[must_use]
pub fn violates(finding: &Finding, level: Level) -> bool {
    finding.control.level <= level && level != Level::Privileged
}

fn push(out: &mut Vec<Finding>, control: &'static Control, span: Span, what: String) {
    out.push(Finding {
        control,
        span,
        what,
        absent: false,
    });
}

/// A violation by a field left out.
fn push_absent(out: &mut Vec<Finding>, control: &'static Control, span: Span, what: String) {
    out.push(Finding {
        control,
        span,
        what,
        absent: true,
    });
}

fn is_true(node: Option<Node<'_>>) -> Option<Node<'_>> {
    node.filter(|n| n.as_bool() == Some(true))
}

/// Pods with `spec.os.name: windows` are exempt from some restricted controls.
fn windows(ds: &DaemonSet<'_>) -> bool {
    ds.pod.get_path(&["os", "name"]).and_then(|n| n.as_str()) == Some("windows")
}

fn container_sc<'a>(c: &Container<'a>, path: &[&str]) -> Option<Node<'a>> {
    c.security_context()
        .and_then(|sc| sc.get_path(path))
        .filter(|n| !n.is_null())
}

fn pod_sc<'a>(ds: &DaemonSet<'a>, path: &[&str]) -> Option<Node<'a>> {
    ds.pod_security_context()
        .and_then(|sc| sc.get_path(path))
        .filter(|n| !n.is_null())
}

/// The pod-level security context followed by each container's, with a description.
fn contexts<'a>(ds: &DaemonSet<'a>, path: &[&str]) -> Vec<(Node<'a>, String)> {
    let mut out = Vec::new();
    if let Some(n) = pod_sc(ds, path) {
        out.push((n, "the pod".to_string()));
    }
    for c in ds.all_containers() {
        if let Some(n) = container_sc(c, path) {
            out.push((n, c.describe()));
        }
    }
    out
}

fn text(node: Node<'_>) -> &str {
    node.scalar_text().unwrap_or("")
}

#[allow(clippy::too_many_lines)]
fn check(ds: &DaemonSet<'_>, c: &'static Control, out: &mut Vec<Finding>) {
    match c.id {
        "pss-baseline-host-process" => {
            for (n, who) in contexts(ds, &["windowsOptions", "hostProcess"]) {
                if n.as_bool() == Some(true) {
                    push(out, c, n.span(), format!("HostProcess in {who}"));
                }
            }
        }
        "pss-baseline-host-namespaces" => {
            for field in ["hostNetwork", "hostPID", "hostIPC"] {
                if let Some(n) = is_true(ds.pod_field(field)) {
                    push(out, c, n.span(), format!("`{field}: true`"));
                }
            }
        }
        "pss-baseline-privileged-containers" => {
            for k in ds.all_containers() {
                if let Some(n) = is_true(container_sc(k, &["privileged"])) {
                    push(out, c, n.span(), format!("privileged {}", k.describe()));
                }
            }
        }
        "pss-baseline-capabilities" => {
            for k in ds.all_containers() {
                for (node, cap) in k.added_capabilities() {
                    if !BASELINE_CAPABILITIES.contains(&cap.as_str()) {
                        push(
                            out,
                            c,
                            node.span(),
                            format!("capability `{cap}` added to {}", k.describe()),
                        );
                    }
                }
            }
        }
        "pss-baseline-host-path-volumes" => {
            for volume in ds.pod.get("volumes").into_iter().flat_map(|v| v.items()) {
                if let Some((key, value)) = volume.entry("hostPath") {
                    if value.is_null() {
                        continue;
                    }
                    let name = volume.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                    push(out, c, key.span(), format!("hostPath volume `{name}`"));
                }
            }
        }
        "pss-baseline-host-ports" => {
            for k in ds.all_containers() {
                for port in k.get("ports").into_iter().flat_map(|p| p.items()) {
                    if let Some(n) = port.get("hostPort") {
                        if n.as_i64().is_some_and(|p| p != 0) {
                            push(
                                out,
                                c,
                                n.span(),
                                format!("host port {} in {}", text(n), k.describe()),
                            );
                        }
                    }
                }
            }
        }
        "pss-baseline-apparmor" => {
            for (n, who) in contexts(ds, &["appArmorProfile", "type"]) {
                if !matches!(text(n), "RuntimeDefault" | "Localhost") {
                    push(
                        out,
                        c,
                        n.span(),
                        format!("AppArmor profile `{}` in {who}", text(n)),
                    );
                }
            }
            let annotations = ds.template.get_path(&["metadata", "annotations"]);
            for (key, value) in annotations.map(|a| a.entries()).unwrap_or_default() {
                let Some(name) = key.scalar_text() else {
                    continue;
                };
                if let Some(container) = name.strip_prefix(APPARMOR_ANNOTATION) {
                    let v = text(value);
                    if v != "runtime/default" && !v.starts_with("localhost/") && !value.is_null() {
                        push(
                            out,
                            c,
                            value.span(),
                            format!("AppArmor profile `{v}` for container `{container}`"),
                        );
                    }
                }
            }
        }
        "pss-baseline-selinux" => {
            for (n, who) in contexts(ds, &["seLinuxOptions", "type"]) {
                let t = text(n);
                if !t.is_empty() && !SELINUX_TYPES.contains(&t) {
                    push(out, c, n.span(), format!("SELinux type `{t}` in {who}"));
                }
            }
            for field in ["user", "role"] {
                for (n, who) in contexts(ds, &["seLinuxOptions", field]) {
                    if !text(n).is_empty() {
                        push(
                            out,
                            c,
                            n.span(),
                            format!("SELinux {field} `{}` in {who}", text(n)),
                        );
                    }
                }
            }
        }
        "pss-baseline-proc-mount" => {
            for k in ds.all_containers() {
                if let Some(n) = container_sc(k, &["procMount"]) {
                    if text(n) != "Default" {
                        push(
                            out,
                            c,
                            n.span(),
                            format!("procMount `{}` in {}", text(n), k.describe()),
                        );
                    }
                }
            }
        }
        "pss-baseline-seccomp" => {
            for (n, who) in contexts(ds, &["seccompProfile", "type"]) {
                if text(n) == "Unconfined" {
                    push(out, c, n.span(), format!("seccomp `Unconfined` in {who}"));
                }
            }
        }
        "pss-baseline-sysctls" => {
            let sysctls = pod_sc(ds, &["sysctls"]);
            for item in sysctls.into_iter().flat_map(|s| s.items()) {
                if let Some(n) = item.get("name") {
                    if !SAFE_SYSCTLS.contains(&text(n)) {
                        push(out, c, n.span(), format!("unsafe sysctl `{}`", text(n)));
                    }
                }
            }
        }
        "pss-restricted-volume-types" => {
            for volume in ds.pod.get("volumes").into_iter().flat_map(|v| v.items()) {
                let name = volume.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                for (key, value) in volume.entries() {
                    let Some(k) = key.scalar_text() else { continue };
                    if k != "name" && !value.is_null() && !RESTRICTED_VOLUMES.contains(&k) {
                        push(out, c, key.span(), format!("{k} volume `{name}`"));
                    }
                }
            }
        }
        "pss-restricted-privilege-escalation" => {
            if windows(ds) {
                return;
            }
            for k in ds.all_containers() {
                match container_sc(k, &["allowPrivilegeEscalation"]) {
                    Some(n) if n.as_bool() == Some(false) => {}
                    Some(n) => push(
                        out,
                        c,
                        n.span(),
                        format!("{} allows privilege escalation", k.describe()),
                    ),
                    None => push_absent(
                        out,
                        c,
                        k.security_context_span(),
                        format!(
                            "{} does not set `allowPrivilegeEscalation: false`",
                            k.describe()
                        ),
                    ),
                }
            }
        }
        "pss-restricted-run-as-non-root" => {
            let pod = pod_sc(ds, &["runAsNonRoot"]);
            let pod_true = pod.is_some_and(|n| n.as_bool() == Some(true));
            if let Some(n) = pod.filter(|n| n.as_bool() != Some(true)) {
                push(
                    out,
                    c,
                    n.span(),
                    "the pod sets `runAsNonRoot: false`".into(),
                );
            }
            for k in ds.all_containers() {
                match container_sc(k, &["runAsNonRoot"]) {
                    Some(n) if n.as_bool() == Some(true) => {}
                    Some(n) => push(
                        out,
                        c,
                        n.span(),
                        format!("{} sets `runAsNonRoot: false`", k.describe()),
                    ),
                    None if pod_true => {}
                    None => push_absent(
                        out,
                        c,
                        k.security_context_span(),
                        format!(
                            "{} does not set `runAsNonRoot: true` (nor does the pod)",
                            k.describe()
                        ),
                    ),
                }
            }
        }
        "pss-restricted-run-as-non-root-user" => {
            for (n, who) in contexts(ds, &["runAsUser"]) {
                if n.as_i64() == Some(0) {
                    push(out, c, n.span(), format!("`runAsUser: 0` in {who}"));
                }
            }
        }
        "pss-restricted-seccomp" => {
            if windows(ds) {
                return;
            }
            let ok = |n: Node<'_>| matches!(text(n), "RuntimeDefault" | "Localhost");
            let pod = pod_sc(ds, &["seccompProfile", "type"]);
            if let Some(n) = pod.filter(|n| !ok(*n)) {
                push(
                    out,
                    c,
                    n.span(),
                    format!("seccomp `{}` in the pod", text(n)),
                );
            }
            let pod_ok = pod.is_some_and(ok);
            for k in ds.all_containers() {
                match container_sc(k, &["seccompProfile", "type"]) {
                    Some(n) if ok(n) => {}
                    Some(n) => push(
                        out,
                        c,
                        n.span(),
                        format!("seccomp `{}` in {}", text(n), k.describe()),
                    ),
                    None if pod_ok => {}
                    None => push_absent(
                        out,
                        c,
                        k.security_context_span(),
                        format!(
                            "{} has no `RuntimeDefault` or `Localhost` seccomp profile (nor does the pod)",
                            k.describe()
                        ),
                    ),
                }
            }
        }
        "pss-restricted-capabilities" => {
            if windows(ds) {
                return;
            }
            for k in ds.all_containers() {
                let drop = container_sc(k, &["capabilities", "drop"]);
                let drops_all = drop
                    .into_iter()
                    .flat_map(|d| d.items())
                    .any(|i| i.as_str().is_some_and(|s| normalize_capability(s) == "ALL"));
                if !drops_all {
                    let span = drop
                        .map(|d| d.span())
                        .or_else(|| container_sc(k, &["capabilities"]).map(|n| n.span()))
                        .unwrap_or_else(|| k.security_context_span());
                    // A `drop` list that leaves out `ALL` is a value set (a patch replaces the
                    // base's list); no list at all is left to the base.
                    let what = format!("{} does not drop `ALL` capabilities", k.describe());
                    if drop.is_some() {
                        push(out, c, span, what);
                    } else {
                        push_absent(out, c, span, what);
                    }
                }
                for (node, cap) in k.added_capabilities() {
                    if cap != "NET_BIND_SERVICE" {
                        push(
                            out,
                            c,
                            node.span(),
                            format!("capability `{cap}` added to {}", k.describe()),
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::objects;
    use crate::yaml::{documents, Document, Limits};

    /// `(control, absent)` of each finding of a DaemonSet whose pod spec is `pod`.
    fn findings(pod: &str) -> Vec<(&'static str, bool)> {
        let text = format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: a}}\nspec:\n  template:\n    spec:\n{pod}"
        );
        let docs: Vec<Document<'_>> = documents(&text, Limits::default())
            .map(|d| d.expect("yaml"))
            .collect();
        let object = objects(&docs[0]).remove(0);
        let ds = DaemonSet::from_object(object).expect("daemonset");
        evaluate(&ds)
            .iter()
            .map(|f| (f.control.id, f.absent))
            .collect()
    }

    #[test]
    fn a_field_left_out_is_told_from_a_value_set() {
        // Nothing set: every restricted control that needs a field finds it absent.
        let bare = findings("      containers: [{name: a, image: a:1}]\n");
        assert_eq!(
            bare,
            [
                ("pss-restricted-privilege-escalation", true),
                ("pss-restricted-run-as-non-root", true),
                ("pss-restricted-seccomp", true),
                ("pss-restricted-capabilities", true),
            ]
        );
        // Values set against the controls are not absences, a `drop` list without ALL included.
        let set = findings(
            "      containers:\n        - name: a\n          image: a:1\n          securityContext:\n            \
             allowPrivilegeEscalation: true\n            runAsNonRoot: false\n            \
             seccompProfile: {type: Unconfined}\n            capabilities: {drop: [NET_RAW]}\n",
        );
        assert!(set.iter().all(|(_, absent)| !absent), "{set:?}");
        assert!(
            set.contains(&("pss-restricted-capabilities", false)),
            "{set:?}"
        );
    }
}
