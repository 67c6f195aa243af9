//! The `pss-*` rules: one per control of the Pod Security Standards. The logic lives in
//! [`crate::k8s::pss`]; each rule only keeps the findings of its control.
//!
//! They are off by default: they overlap `privileged-container`, `host-network`,
//! `sensitive-host-path` and friends, and most node agents legitimately need privileges that
//! the baseline level forbids. Turn them on (`select: [pss-baseline-host-namespaces]`, or a
//! severity) to audit a DaemonSet against the level its namespace enforces.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

fn report(ds: &DaemonSet<'_>, id: &str, why: &str, help: &'static str, out: &mut Vec<Violation>) {
    for f in crate::k8s::pss::evaluate_control(ds, id) {
        let level = f.control.level;
        out.push(
            Violation::new(
                f.span,
                format!(
                    "{}: the Pod Security Standards' `{level}` level forbids it ({} control): {why}; a namespace that enforces `{level}` rejects these pods",
                    f.what, f.control.name
                ),
            )
            .help(help)
            .absent_if(f.absent),
        );
    }
}

macro_rules! pss_rule {
    ($name:ident, $check:ident, $id:literal, $summary:literal, $why:literal, $help:literal) => {
        pub static $name: Rule = Rule {
            meta: RuleMeta {
                id: $id,
                default_severity: Severity::Warning,
                category: Category::Security,
                summary: $summary,
                default_enabled: false,
                fix: FixKind::None,
                since: "0.2.0",
            },
            check: $check,
        };

        fn $check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
            report(ds, $id, $why, $help, out);
        }
    };
}

pss_rule!(
    BASELINE_HOST_PROCESS,
    check_baseline_host_process,
    "pss-baseline-host-process",
    "PSS baseline: a Windows HostProcess container",
    "a HostProcess container has privileged access to the Windows node",
    "remove `windowsOptions.hostProcess: true`, or run the DaemonSet in a namespace that allows `privileged`"
);

pss_rule!(
    BASELINE_HOST_NAMESPACES,
    check_baseline_host_namespaces,
    "pss-baseline-host-namespaces",
    "PSS baseline: the pod shares the node's network, PID or IPC namespace",
    "sharing a node namespace breaks the pod's isolation from the node",
    "remove `hostNetwork`, `hostPID` and `hostIPC`, or run the DaemonSet in a namespace that allows `privileged`"
);

pss_rule!(
    BASELINE_PRIVILEGED_CONTAINERS,
    check_baseline_privileged_containers,
    "pss-baseline-privileged-containers",
    "PSS baseline: a privileged container",
    "a privileged container disables most security mechanisms",
    "set `privileged: false` and add only the capabilities the agent needs, or run the DaemonSet in a namespace that allows `privileged`"
);

pss_rule!(
    BASELINE_CAPABILITIES,
    check_baseline_capabilities,
    "pss-baseline-capabilities",
    "PSS baseline: a capability added beyond the baseline's allowed list",
    "only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT may be added",
    "remove the capability from `capabilities.add`, or run the DaemonSet in a namespace that allows `privileged`"
);

pss_rule!(
    BASELINE_HOST_PATH_VOLUMES,
    check_baseline_host_path_volumes,
    "pss-baseline-host-path-volumes",
    "PSS baseline: a hostPath volume",
    "a hostPath volume exposes the node's filesystem",
    "replace the hostPath volume (an emptyDir, a ConfigMap, a CSI volume), or run the DaemonSet in a namespace that allows `privileged`"
);

pss_rule!(
    BASELINE_HOST_PORTS,
    check_baseline_host_ports,
    "pss-baseline-host-ports",
    "PSS baseline: a host port",
    "a host port opens the node's address to the pod",
    "remove `hostPort` and reach the pods through a Service, or run the DaemonSet in a namespace that allows `privileged`"
);

pss_rule!(
    BASELINE_APPARMOR,
    check_baseline_apparmor,
    "pss-baseline-apparmor",
    "PSS baseline: an AppArmor profile other than RuntimeDefault or Localhost",
    "an unconfined AppArmor profile removes a layer of protection",
    "use `appArmorProfile.type: RuntimeDefault` (or `Localhost`), or drop the setting"
);

pss_rule!(
    BASELINE_SELINUX,
    check_baseline_selinux,
    "pss-baseline-selinux",
    "PSS baseline: a custom SELinux type, user or role",
    "a custom SELinux type, user or role can escape the container's confinement",
    "remove `seLinuxOptions.user`/`role` and use one of container_t, container_init_t, container_kvm_t, container_engine_t as the type"
);

pss_rule!(
    BASELINE_PROC_MOUNT,
    check_baseline_proc_mount,
    "pss-baseline-proc-mount",
    "PSS baseline: a /proc mount type other than Default",
    "an unmasked /proc exposes the node's kernel settings",
    "remove `procMount` or set it to `Default`"
);

pss_rule!(
    BASELINE_SECCOMP,
    check_baseline_seccomp,
    "pss-baseline-seccomp",
    "PSS baseline: a seccomp profile set to Unconfined",
    "`Unconfined` turns off the system call filter",
    "use `seccompProfile.type: RuntimeDefault` (or `Localhost`)"
);

pss_rule!(
    BASELINE_SYSCTLS,
    check_baseline_sysctls,
    "pss-baseline-sysctls",
    "PSS baseline: a sysctl outside the safe set",
    "an unsafe sysctl can change the node's kernel for every pod",
    "remove the sysctl, or tune the node outside Kubernetes; only the safe set is allowed"
);

pss_rule!(
    RESTRICTED_VOLUME_TYPES,
    check_restricted_volume_types,
    "pss-restricted-volume-types",
    "PSS restricted: a volume type outside configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret",
    "only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes are allowed",
    "use one of the allowed volume types, or run the DaemonSet in a namespace that enforces `baseline` at most"
);

pss_rule!(
    RESTRICTED_PRIVILEGE_ESCALATION,
    check_restricted_privilege_escalation,
    "pss-restricted-privilege-escalation",
    "PSS restricted: a container without allowPrivilegeEscalation: false",
    "a setuid binary can gain more privileges than the process started with",
    "set `securityContext.allowPrivilegeEscalation: false` on every container"
);

pss_rule!(
    RESTRICTED_RUN_AS_NON_ROOT,
    check_restricted_run_as_non_root,
    "pss-restricted-run-as-non-root",
    "PSS restricted: a container not required to run as non-root",
    "containers must be required to run as non-root users",
    "set `securityContext.runAsNonRoot: true` on the pod (or on every container)"
);

pss_rule!(
    RESTRICTED_RUN_AS_NON_ROOT_USER,
    check_restricted_run_as_non_root_user,
    "pss-restricted-run-as-non-root-user",
    "PSS restricted: runAsUser 0",
    "containers must not run with the root user id",
    "remove `runAsUser: 0` or set a non-zero user id"
);

pss_rule!(
    RESTRICTED_SECCOMP,
    check_restricted_seccomp,
    "pss-restricted-seccomp",
    "PSS restricted: no RuntimeDefault or Localhost seccomp profile",
    "the restricted level requires a seccomp profile",
    "set `securityContext.seccompProfile.type: RuntimeDefault` on the pod"
);

pss_rule!(
    RESTRICTED_CAPABILITIES,
    check_restricted_capabilities,
    "pss-restricted-capabilities",
    "PSS restricted: capabilities not dropped (ALL) or added beyond NET_BIND_SERVICE",
    "containers must drop ALL capabilities and may add back only NET_BIND_SERVICE",
    "set `securityContext.capabilities.drop: [ALL]` on every container and add only `NET_BIND_SERVICE`"
);
