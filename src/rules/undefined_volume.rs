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
    let volumes = ds.volumes();
    // A `volumes` value that is not a list is a schema error: names cannot be judged.
    if volumes.is_malformed() {
        return;
    }
    let defined: Vec<&str> = volumes
        .iter()
        .filter_map(|v| v.name().and_then(|n| n.value))
        .collect();
    for container in ds.all_containers() {
        for mount in container.mounts().chain(container.devices()) {
            let Some(name_field) = mount.name() else {
                continue;
            };
            let Some(name) = name_field.value else {
                continue;
            };
            if name.is_empty() || defined.contains(&name) {
                continue;
            }
            let error = not_found(&field_path(ds, name_field.value_span), name);
            let defined_list = if defined.is_empty() {
                "the pod defines no volumes".to_string()
            } else {
                let names: Vec<String> = defined.iter().map(|n| format!("`{n}`")).collect();
                format!("the pod defines {}", names.join(", "))
            };
            out.push(
                Violation::new(
                    name_field.value_span,
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
