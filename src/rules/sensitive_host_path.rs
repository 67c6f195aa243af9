//! `sensitive-host-path`: a hostPath volume exposes a sensitive node location (the root
//! filesystem, `/etc`, `/proc`, the kubelet's state, a container runtime socket, ...).

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::k8s::hostpath::{
    classify_mount, describe, is_syslog_socket, kubelet_plugin_dir, PluginDir,
};
use crate::manifest::{is, DaemonSet};

pub use crate::k8s::hostpath::{classify, normalize_entries, normalize_host_path, Exposure};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "sensitive-host-path",
        default_severity: Severity::Warning,
        category: Category::Security,
        summary: "A hostPath volume exposes a sensitive node location (/, /etc, /proc, the kubelet's state, a runtime socket)",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let entries = &cx.settings.options.sensitive_host_paths;
    for volume in ds.volumes().host_paths() {
        let name = volume.name;
        let Some(path_field) = volume.host_path.path() else {
            continue;
        };
        let Some(raw) = path_field.value else {
            continue;
        };
        let Some(path) = normalize_host_path(raw) else {
            continue;
        };
        // A volume no container mounts exposes nothing.
        let mounts: Vec<_> = ds
            .all_containers()
            .flat_map(|c| c.mounts().map(move |m| (c, m)))
            .filter(|(_, m)| is(m.name(), name))
            .collect();
        let Some(first) = mounts.first() else {
            continue;
        };
        let writable = mounts.iter().find(|(_, m)| !m.is_read_only());
        // What the node executes as root is only sensitive to write.
        let Some((exposure, executable)) = classify_mount(&path, entries, writable.is_some())
        else {
            continue;
        };
        // The configuration's allow-list for this DaemonSet.
        if cx
            .settings
            .options
            .host_path_allowed(ds.object.name(), &path, writable.is_none())
        {
            continue;
        }
        let location = match &exposure {
            Exposure::Within(e) if *e == path => format!("`{path}` ({})", describe(&path, e)),
            Exposure::Within(e) => format!("`{path}`, under `{e}` ({})", describe(&path, e)),
            Exposure::SocketName(e) => {
                format!("`{path}`, a container runtime socket like `{e}`")
            }
            Exposure::Contains(e) => {
                format!("`{path}`, which contains `{e}` ({})", describe(&path, e))
            }
        };
        let create = match volume.host_path.kind().and_then(|t| t.value) {
            Some(t @ ("DirectoryOrCreate" | "FileOrCreate")) => format!(
                "; `type: {t}` makes the kubelet create it inside that tree on every node where it \
                 is missing, instead of failing"
            ),
            _ => String::new(),
        };
        let (how, severity) = if is_syslog_socket(&path) {
            (
                "whoever controls the agent can forge entries in every node's system log (a \
                 read-only mount does not help: clients can still write to the socket)"
                    .to_string(),
                Severity::Warning,
            )
        } else if exposure.is_socket() {
            (
                "whoever controls the agent can start privileged containers on every node (a \
                 read-only mount does not help: clients can still connect to the socket)"
                    .to_string(),
                Severity::Error,
            )
        } else if let (true, Some((container, _))) = (executable, writable) {
            (
                format!(
                    "{} mounts it writable, so a compromised or buggy agent can plant code that \
                     runs as root on every node",
                    container.describe()
                ),
                Severity::Error,
            )
        } else if let Some((container, _)) = writable {
            (
                format!(
                    "{} mounts it writable, so a compromised or buggy agent can change it on every \
                     node at once",
                    container.describe()
                ),
                Severity::Error,
            )
        } else {
            (
                "it is mounted read-only, but a compromised agent can still read it on every node"
                    .to_string(),
                Severity::Warning,
            )
        };
        let (label_at, label) = match writable {
            Some((_, m)) => (m.node.span(), "mounted writable here"),
            None => (first.1.node.span(), "mounted here"),
        };
        let bidirectional = mounts.iter().any(|(_, m)| m.is_bidirectional());
        let help = if executable {
            "mount it with `readOnly: true` unless the agent installs these executables (a network \
             plugin's installer copying its CNI binary); if it does, suppress this finding with \
             that reason"
        } else if kubelet_plugin_dir(&path, bidirectional) == Some(PluginDir::PodVolumes) {
            "a CSI node plugin needs the pods' volume directories writable with `Bidirectional` \
             propagation to publish volumes; if this is one, suppress this finding with that \
             reason, otherwise mount the narrowest path the agent needs with `readOnly: true`"
        } else {
            "mount the narrowest path the agent needs (a file or a subdirectory of its own) with \
             `readOnly: true`; if the agent needs this location, suppress this finding with the \
             reason"
        };
        out.push(
            Violation::new(
                path_field.value_span,
                format!("hostPath volume `{name}` exposes {location}: {how}{create}"),
            )
            .severity(severity)
            .label(label_at, label)
            .help(help),
        );
    }
}
