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
fn report_repeats<'a>(
    ds: &DaemonSet<'_>,
    names: impl Iterator<Item = (Node<'a>, String)>,
    what: &str,
    out: &mut Vec<Violation>,
) {
    let mut seen: Vec<(&str, Node<'a>)> = Vec::new();
    for (node, describe) in names {
        let Some(name) = node.as_str() else { continue };
        if name.is_empty() {
            continue;
        }
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, first)) => out.push(
                Violation::new(
                    node.span(),
                    format!(
                        "{describe} has the same name as another {what}, so the API server \
                         rejects the DaemonSet: {}",
                        duplicate(&field_path(ds, node.span()), name)
                    ),
                )
                .label(first.span(), "the name is first used here")
                .help(format!("give each {what} of the pod its own name")),
            ),
            None => seen.push((name, node)),
        }
    }
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    // Regular, init and ephemeral containers share one set of names.
    report_repeats(
        ds,
        ds.all_containers()
            .filter_map(|c| Some((c.node.get("name")?, c.describe()))),
        "container",
        out,
    );
    report_repeats(
        ds,
        ds.pod
            .get("volumes")
            .into_iter()
            .flat_map(|v| v.items())
            .filter_map(|v| {
                let name = v.get("name")?;
                Some((name, format!("volume `{}`", name.as_str().unwrap_or("?"))))
            }),
        "volume",
        out,
    );
    // Port names are unique within a container (validateContainerPorts).
    for container in ds.all_containers() {
        let ports = container.get("ports");
        let describe = container.describe();
        report_repeats(
            ds,
            ports.into_iter().flat_map(|p| p.items()).filter_map(|p| {
                let name = p.get("name")?;
                // An invalid name is `invalid-port-name`'s; the API server checks it first.
                if name
                    .as_str()
                    .is_some_and(|n| !crate::k8s::names::port_name(n).is_empty())
                {
                    return None;
                }
                Some((
                    name,
                    format!("port `{}` of {describe}", name.as_str().unwrap_or("?")),
                ))
            }),
            "port of the container",
            out,
        );
    }
}
