//! `writable-host-path`: a container mounts a hostPath volume without `readOnly: true`.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::{Applicability, Fix, Severity};
use crate::k8s::hostpath::{kubelet_plugin_dir, normalize_host_path};
use crate::manifest::{is, DaemonSet};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "writable-host-path",
        default_severity: Severity::Warning,
        category: Category::Security,
        summary: "A container mounts a hostPath volume writable, so it can change the node's files",
        default_enabled: true,
        fix: FixKind::Unsafe,
        since: "0.1.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let host_volumes = ds.volumes().host_paths();
    if host_volumes.is_empty() {
        return;
    }
    for container in ds.all_containers() {
        for mount in container.mounts() {
            let Some(name) = mount.name().and_then(|n| n.value) else {
                continue;
            };
            let Some(volume) = host_volumes.iter().find(|v| v.name == name) else {
                continue;
            };
            let read_only = mount.read_only();
            if is(read_only, true) {
                continue;
            }
            let host_path = volume
                .host_path
                .path()
                .and_then(|p| p.text())
                .unwrap_or("?");
            if cx
                .settings
                .options
                .host_path_allowed(ds.object.name(), host_path, false)
            {
                continue;
            }
            let plugin = normalize_host_path(host_path)
                .and_then(|p| kubelet_plugin_dir(&p, mount.is_bidirectional()))
                .filter(|d| d.needs_write());
            let volume_span = volume.volume.node.span();
            if let Some(dir) = plugin {
                out.push(
                    Violation::new(
                        mount.node.span(),
                        format!(
                            "{} mounts host path `{host_path}` (volume `{name}`) writable: expected \
                             for a CSI/device plugin, which must write {}",
                            container.describe(),
                            dir.describe()
                        ),
                    )
                    .severity(Severity::Info)
                    .label(volume_span, "the hostPath volume is defined here")
                    .help("nothing to do if this DaemonSet is a CSI node plugin or a device plugin; otherwise add `readOnly: true` to the volumeMount"),
                );
                continue;
            }
            let how = if read_only.is_some() {
                "with `readOnly` not true"
            } else {
                "without `readOnly: true`"
            };
            let edit = match read_only {
                Some(value) => crate::yaml::edit::replace_value(value.node, "true"),
                None => crate::yaml::edit::insert_entry(cx.text, mount.node, "readOnly", "true"),
            };
            let fix = edit.map(|edit| Fix {
                description: "mount it with `readOnly: true`".into(),
                applicability: Applicability::Unsafe,
                edits: vec![edit],
            });
            out.push(
                Violation::new(
                    mount.node.span(),
                    format!(
                        "{} mounts host path `{host_path}` (volume `{name}`) {how}: a compromised or \
                         buggy agent can change that path on every node",
                        container.describe()
                    ),
                )
                .label(volume_span, "the hostPath volume is defined here")
                .with_fix(fix)
                .help("add `readOnly: true` to the volumeMount unless the agent must write there; if it must, suppress this finding with a reason"),
            );
        }
    }
}
