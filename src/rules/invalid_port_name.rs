//! `invalid-port-name`: a container port `name` that is not an IANA service name.

use super::api_server::{field_path, invalid};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::k8s::names::port_name;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "invalid-port-name",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "A container port name that is not an IANA service name (at most 15 lower-case letters, digits and `-`), so the API server rejects the DaemonSet",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.2.0",
    },
    check,
};

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    for container in ds.all_containers() {
        for port in container.get("ports").into_iter().flat_map(|p| p.items()) {
            let Some(node) = port.get("name") else {
                continue;
            };
            let Some(name) = node.as_str() else { continue };
            // An empty name is no name (validateContainerPorts skips it).
            if name.is_empty() {
                continue;
            }
            let messages = port_name(name);
            if messages.is_empty() {
                continue;
            }
            let path = field_path(ds, node.span());
            let errors: Vec<String> = messages.iter().map(|m| invalid(&path, name, m)).collect();
            let suggestion = suggest(name);
            out.push(
                Violation::new(
                    node.span(),
                    format!(
                        "port name `{name}` of {} is not an IANA service name, so the API server \
                         rejects the DaemonSet: {}",
                        container.describe(),
                        errors.join("; ")
                    ),
                )
                .help(format!(
                    "name the port with at most 15 lower-case letters, digits and single hyphens, \
                     at least one letter (e.g. `{suggestion}`), and refer to it by that name in \
                     probes and Services"
                )),
            );
        }
    }
}

/// A valid spelling close to `name`: lower case, other characters as single hyphens, at most 15
/// characters.
fn suggest(name: &str) -> String {
    let lower: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let joined = lower
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let short: String = joined.chars().take(15).collect();
    let short = short.trim_end_matches('-');
    if short.bytes().any(|b| b.is_ascii_lowercase()) {
        short.to_string()
    } else {
        format!("port-{}", short.chars().take(10).collect::<String>())
            .trim_end_matches('-')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions_are_valid_port_names() {
        for (name, want) in [
            ("nameValue", "namevalue"),
            ("grpc_port", "grpc-port"),
            ("prometheus-metrics", "prometheus-metr"),
            ("8080", "port-8080"),
            ("HTTP--Admin", "http-admin"),
        ] {
            let got = super::suggest(name);
            assert_eq!(got, want);
            assert!(crate::k8s::names::port_name(&got).is_empty(), "{got}");
        }
    }
}
