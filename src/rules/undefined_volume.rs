//! `undefined-volume`: a `volumeMount` (or `volumeDevice`) names a volume the pod does not define.

use super::api_server::{field_path, not_found};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "undefined-volume",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "A volumeMount names a volume the pod does not define, so the API server rejects the DaemonSet",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.2.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let volumes = ds.pod.get("volumes");
    // A `volumes` value that is not a list is a schema error: names cannot be judged.
    if volumes.is_some_and(|v| !v.is_sequence() && !v.is_null()) {
        return;
    }
    let defined: Vec<&str> = volumes
        .into_iter()
        .flat_map(|v| v.items())
        .filter_map(|v| v.get("name").and_then(|n| n.as_str()))
        .collect();
    for container in ds.all_containers() {
        for field in ["volumeMounts", "volumeDevices"] {
            for mount in container.get(field).into_iter().flat_map(|m| m.items()) {
                let Some(name_node) = mount.get("name") else {
                    continue;
                };
                let Some(name) = name_node.as_str() else {
                    continue;
                };
                if name.is_empty() || defined.contains(&name) {
                    continue;
                }
                let error = not_found(&field_path(ds, name_node.span()), name);
                let defined_list = if defined.is_empty() {
                    "the pod defines no volumes".to_string()
                } else {
                    let names: Vec<String> = defined.iter().map(|n| format!("`{n}`")).collect();
                    format!("the pod defines {}", names.join(", "))
                };
                out.push(
                    Violation::new(
                        name_node.span(),
                        format!(
                            "{} mounts volume `{name}`, which `spec.template.spec.volumes` does \
                             not define ({defined_list}), so the API server rejects the \
                             DaemonSet: {error}",
                            container.describe()
                        ),
                    )
                    // A patch may mount a volume its base defines.
                    .absent()
                    .help(format!(
                        "add a volume named `{name}` to `spec.template.spec.volumes`, or correct the name in the mount"
                    )),
                );
            }
        }
    }
}
