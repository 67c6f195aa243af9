//! `missing-control-plane-toleration`: the node agent does not tolerate the control-plane taint,
//! so it silently skips control-plane nodes.

use super::tolerations::{self, Taint};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::{Applicability, Fix, Severity};
use crate::k8s::scheduling;
use crate::manifest::{is_windows_os, DaemonSet};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "missing-control-plane-toleration",
        default_severity: Severity::Warning,
        category: Category::Reliability,
        summary: "The pods do not tolerate the control-plane taint, so the agent skips control-plane nodes",
        default_enabled: true,
        fix: FixKind::Safe,
        since: "0.1.0",
    },
    check,
};

/// Node labels every node carries: selecting on them excludes no node.
const UNIVERSAL_LABELS: &[&str] = &[
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
];

const CONTROL_PLANE_ROLES: &[&str] = &[
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
];

/// How the pod's placement relates to control-plane nodes.
enum Placement {
    /// Nothing in the pod spec keeps it off control-plane nodes.
    Everywhere,
    /// The pod explicitly selects control-plane nodes.
    TargetsControlPlane,
    /// The pod deliberately stays off control-plane nodes or targets a dedicated pool.
    Excluded,
}

fn placement(pod: Node<'_>) -> Placement {
    let mut targets_cp = false;
    if let Some(selector) = pod.get("nodeSelector") {
        for (key, _) in selector.entries() {
            let Some(key) = key.scalar_text() else {
                continue;
            };
            if is_windows_os(
                key,
                selector.get(key).and_then(|v| v.scalar_text()).into_iter(),
            ) {
                return Placement::Excluded;
            }
            if CONTROL_PLANE_ROLES.contains(&key) {
                targets_cp = true;
            } else if !UNIVERSAL_LABELS.contains(&key) {
                return Placement::Excluded;
            }
        }
    }
    let terms = crate::manifest::required_node_selector_terms(pod);
    // Terms are ORed: the pod is kept off control-plane nodes only if every term is.
    if !terms.is_empty() {
        let mut all_exclude = true;
        for term in &terms {
            let mut excludes = false;
            let mut term_targets_cp = false;
            for expr in term
                .get("matchExpressions")
                .into_iter()
                .flat_map(|e| e.items())
            {
                let key = expr.get("key").and_then(|k| k.scalar_text()).unwrap_or("");
                let op = expr
                    .get("operator")
                    .and_then(|k| k.scalar_text())
                    .unwrap_or("");
                let values = expr
                    .get("values")
                    .into_iter()
                    .flat_map(|v| v.items())
                    .filter_map(|v| v.scalar_text());
                if op == "In" && is_windows_os(key, values) {
                    excludes = true;
                } else if CONTROL_PLANE_ROLES.contains(&key) {
                    match op {
                        "DoesNotExist" | "NotIn" => excludes = true,
                        "Exists" | "In" => term_targets_cp = true,
                        _ => {}
                    }
                } else if !UNIVERSAL_LABELS.contains(&key)
                    && matches!(op, "In" | "Exists" | "Gt" | "Lt")
                {
                    excludes = true;
                }
            }
            if term
                .get("matchFields")
                .is_some_and(|f| f.items().next().is_some())
            {
                excludes = true;
            }
            targets_cp |= term_targets_cp;
            all_exclude &= excludes && !term_targets_cp;
        }
        if all_exclude {
            return Placement::Excluded;
        }
    }
    if targets_cp {
        Placement::TargetsControlPlane
    } else {
        Placement::Everywhere
    }
}

/// Where the finding points (the `tolerations` key, else the pod template's `spec` key) and how
/// the message describes the tolerations.
fn anchor(ds: &DaemonSet<'_>) -> (crate::source::Span, &'static str) {
    match ds.tolerations() {
        Some(tolerations) => (tolerations.key_span, "none of its tolerations matches"),
        None => (ds.pod_key.span(), "it has no tolerations"),
    }
}

fn help(example: &str) -> String {
    format!(
        "add a toleration `{{key: {example}, operator: Exists, effect: NoSchedule}}`, or keep the \
         pods off control-plane nodes on purpose with a required node affinity \
         `{example}` DoesNotExist"
    )
}

/// `cp-1`, `cp-2` and `cp-3`; past five names, "and N more".
fn name_list(names: &[&str]) -> String {
    let shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
    match (names.len(), shown.as_slice()) {
        (n, _) if n > 5 => format!("{} and {} more", shown.join(", "), n - 5),
        (_, [one]) => one.clone(),
        (_, [init @ .., last]) => format!("{} and {last}", init.join(", ")),
        (_, []) => String::new(),
    }
}

/// With `--nodes`: name the control-plane nodes whose taints the pods do not tolerate, from the
/// same simulation `daemonlint coverage` runs.
fn check_with_nodes(
    ds: &DaemonSet<'_>,
    cx: &RuleCx<'_>,
    cluster: &scheduling::Cluster,
    out: &mut Vec<Violation>,
) {
    let pod = scheduling::PodView::of(ds);
    let keys = &cx.settings.options.control_plane_taints;
    let mut skipped: Vec<&str> = Vec::new();
    let mut taints: Vec<String> = Vec::new();
    let mut first_key = None;
    let mut runs = 0;
    for node in &cluster.nodes {
        let placement = scheduling::place(&pod, node);
        if placement.outcome == scheduling::Outcome::Runs {
            runs += 1;
        }
        if !scheduling::is_control_plane(node, keys) {
            continue;
        }
        if let Some(taint) = &placement.taint {
            skipped.push(&node.name);
            let shown = format!("`{}`", taint.view());
            if !taints.contains(&shown) {
                taints.push(shown);
            }
            first_key.get_or_insert_with(|| taint.key.clone());
        }
    }
    let Some(example) = first_key else { return };
    let example = example.as_str();
    let (span, where_) = anchor(ds);
    let noun = if skipped.len() == 1 { "node" } else { "nodes" };
    let mut message = format!(
        "the pods do not tolerate the {} {} ({where_}), so the agent will skip the \
         control-plane {noun} {} ({} of the {} nodes in {})",
        if taints.len() == 1 { "taint" } else { "taints" },
        taints.join(" and "),
        name_list(&skipped),
        skipped.len(),
        cluster.nodes.len(),
        cluster.source
    );
    if runs == 0 {
        message.push_str("; it runs on no node at all");
    }
    out.push(Violation::new(span, message).help(help(example)));
}

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    if let Some(cluster) = cx.cluster {
        check_with_nodes(ds, cx, cluster, out);
        return;
    }
    let placement = placement(ds.pod);
    if matches!(placement, Placement::Excluded) {
        return;
    }
    let tolerations = tolerations::of(ds);
    let missing: Vec<&str> = cx
        .settings
        .options
        .control_plane_taints
        .iter()
        .map(String::as_str)
        .filter(|key| {
            let taint = Taint {
                key,
                value: "",
                effect: "NoSchedule",
            };
            !tolerations.iter().any(|t| t.tolerates(&taint))
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    let taints = missing
        .iter()
        .map(|k| format!("`{k}:NoSchedule`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let (span, where_) = anchor(ds);
    let message = match placement {
        Placement::TargetsControlPlane => format!(
            "the pods select control-plane nodes but do not tolerate the taint {taints} ({where_}), \
             so they will not run anywhere"
        ),
        _ => format!(
            "the pods do not tolerate the taint {taints} ({where_}), so the agent will silently \
             skip every control-plane node"
        ),
    };
    let legacy_only = tolerations.iter().any(|t| {
        t.tolerates(&Taint {
            key: "node-role.kubernetes.io/master",
            value: "",
            effect: "NoSchedule",
        })
    });
    let message = if legacy_only {
        format!(
            "{message}; the pods tolerate only the legacy `node-role.kubernetes.io/master` taint, \
             which kubeadm stopped applying in Kubernetes 1.25"
        )
    } else {
        message
    };
    let fix = toleration_fix(ds, cx.text, &missing);
    let example = missing
        .first()
        .copied()
        .unwrap_or("node-role.kubernetes.io/control-plane");
    let mut violation = Violation::new(span, message)
        .with_fix(fix)
        .help(help(example));
    // Without tolerations the patch keeps its base's (a list in a patch replaces the base's).
    if ds.tolerations().is_none() {
        violation = violation.absent();
    }
    out.push(violation);
}

/// Add a toleration per missing taint: appended to `tolerations`, or a new `tolerations` key.
fn toleration_fix(ds: &DaemonSet<'_>, text: &str, missing: &[&str]) -> Option<Fix> {
    let items: Vec<String> = missing
        .iter()
        .map(|key| format!("key: {key}\noperator: Exists\neffect: NoSchedule"))
        .collect();
    let mut edits = Vec::new();
    match ds.tolerations() {
        Some(list) if list.is_list() => {
            // One edit holding every item keeps them in order at one insertion point.
            let mut combined: Option<crate::diagnostic::Edit> = None;
            for item in &items {
                let edit = crate::yaml::edit::append_item(text, list.node, item)?;
                match &mut combined {
                    Some(c) => c.replacement.push_str(&edit.replacement),
                    None => combined = Some(edit),
                }
            }
            edits.extend(combined);
        }
        Some(_) => return None,
        None => {
            let value = items
                .iter()
                .map(|item| {
                    item.lines()
                        .enumerate()
                        .map(|(i, l)| {
                            if i == 0 {
                                format!("- {l}")
                            } else {
                                format!("  {l}")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect::<Vec<_>>()
                .join("\n");
            edits.push(crate::yaml::edit::insert_entry(
                text,
                ds.pod,
                "tolerations",
                &value,
            )?);
        }
    }
    Some(Fix {
        description: "tolerate the control-plane taint".into(),
        applicability: Applicability::Safe,
        edits,
    })
}
