//! `duplicate-name`: two containers, two volumes, or two ports of one container with the same
//! name.

use super::api_server::{duplicate, field_path};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "duplicate-name",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "Two containers, two volumes, or two ports of one container share a name, so the API server rejects the DaemonSet",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.2.0",
    },
    check,
};

/// Report every name in `names` that an earlier one already used, pointing back at the first.
fn report_repeats<'a, D: Fn() -> String>(
    ds: &DaemonSet<'_>,
    names: impl Iterator<Item = (Node<'a>, D)>,
    what: &str,
    reported: impl Fn(&str) -> bool,
    out: &mut Vec<Violation>,
) {
    // The descriptions are only built for a repeat: most pods have none.
    let mut seen: Vec<(&str, Node<'a>)> = Vec::new();
    for (node, describe) in names {
        let Some(name) = node.as_str() else { continue };
        if name.is_empty() {
            continue;
        }
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, first)) if reported(name) => out.push(
                Violation::new(
                    node.span(),
                    format!(
                        "{} has the same name as another {what}, so the API server \
                         rejects the DaemonSet: {}",
                        describe(),
                        duplicate(&field_path(ds, node.span()), name)
                    ),
                )
                .label(first.span(), "the name is first used here")
                .help(format!("give each {what} of the pod its own name")),
            ),
            Some(_) => {}
            None => seen.push((name, node)),
        }
    }
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    report_repeats(
        ds,
        ds.all_containers()
            .filter_map(|c| Some((c.node.get("name")?, move || c.describe()))),
        "container",
        |_| true,
        out,
    );
    report_repeats(
        ds,
        ds.volumes().iter().filter_map(|v| {
            let name = v.name()?.node;
            Some((name, move || {
                format!("volume `{}`", name.as_str().unwrap_or("?"))
            }))
        }),
        "volume",
        |_| true,
        out,
    );
    for container in ds.all_containers() {
        let Some(ports) = container.get("ports") else {
            continue;
        };
        report_repeats(
            ds,
            ports.items().filter_map(|p| {
                let name = p.get("name")?;
                let container = &container;
                Some((name, move || {
                    format!(
                        "port `{}` of {}",
                        name.as_str().unwrap_or("?"),
                        container.describe()
                    )
                }))
            }),
            "port of the container",
            // A name that is not a valid port name is `invalid-port-name`'s finding.
            |n| crate::k8s::names::port_name(n).is_empty(),
            out,
        );
    }
}
