//! `invalid-name`: a name the API server rejects: the DaemonSet's `metadata.name` is not a DNS
//! subdomain (nor its `metadata.generateName` a prefix of one), its `metadata.namespace`, a
//! container's or a volume's name is not a DNS label.

use super::api_server::{field_path, invalid};
use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::k8s::names::{dns1123_label, dns1123_subdomain};
use crate::manifest::DaemonSet;
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "invalid-name",
        default_severity: Severity::Error,
        category: Category::Correctness,
        summary: "A name the API server rejects: the DaemonSet's name is not a DNS subdomain, or its namespace, a container's or a volume's name is not a DNS label",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.2.0",
    },
    check,
};

/// Which validation a name goes through.
#[derive(Clone, Copy)]
enum Kind {
    Subdomain,
    /// `generateName`: a DNS subdomain once the API server appends its random suffix.
    SubdomainPrefix,
    Label,
}

/// `maskTrailingDash` of apimachinery's `NameIsDNSSubdomain(name, prefix=true)`: a trailing `-`
/// (of a name longer than one byte) will be followed by the generated suffix, so the check
/// replaces it, and the byte before it, with an `a`. Byte-wise, as Go slices strings.
fn mask_trailing_dash(name: &str) -> String {
    match name.strip_suffix('-') {
        Some(_) if name.len() > 1 => {
            let mut masked: Vec<u8> = name.as_bytes()[..name.len() - 2].to_vec();
            masked.push(b'a');
            String::from_utf8_lossy(&masked).into_owned()
        }
        _ => name.to_string(),
    }
}

fn report(
    ds: &DaemonSet<'_>,
    node: Node<'_>,
    what: &dyn Fn() -> String,
    kind: Kind,
    out: &mut Vec<Violation>,
) {
    let Some(value) = node.as_str() else { return };
    // An empty name is a missing one (`missing-field`'s business).
    if value.is_empty() {
        return;
    }
    let messages = match kind {
        Kind::Subdomain => dns1123_subdomain(value),
        Kind::SubdomainPrefix => dns1123_subdomain(&mask_trailing_dash(value)),
        Kind::Label => dns1123_label(value),
    };
    if messages.is_empty() {
        return;
    }
    let path = field_path(ds, node.span());
    let shape = match kind {
        Kind::Subdomain => "a DNS subdomain (RFC 1123)",
        Kind::SubdomainPrefix => "the start of a DNS subdomain (RFC 1123)",
        Kind::Label => "a DNS label (RFC 1123)",
    };
    let errors: Vec<String> = messages.iter().map(|m| invalid(&path, value, m)).collect();
    out.push(
        Violation::new(
            node.span(),
            format!(
                "{} `{value}` is not {shape}, so the API server rejects the DaemonSet and the \
                 agent reaches no node: {}",
                what(),
                errors.join("; ")
            ),
        )
        .help(match kind {
            Kind::Subdomain => "use lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit, at most 253 characters (replace a placeholder with the real name)",
            Kind::SubdomainPrefix => "use lower-case letters, digits, `-` and `.`, starting with a letter or digit (a trailing `-` is fine: the random suffix follows it)",
            Kind::Label => "use lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters (replace a placeholder with the real name)",
        }),
    );
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    if let Some(meta) = ds.object.metadata() {
        // ValidateDaemonSetName is NameIsDNSSubdomain; ValidateNamespaceName is NameIsDNSLabel.
        if let Some(name) = meta.get("name") {
            report(
                ds,
                name,
                &|| "the DaemonSet's name".into(),
                Kind::Subdomain,
                out,
            );
        }
        if let Some(prefix) = meta.get("generateName") {
            report(
                ds,
                prefix,
                &|| "the DaemonSet's generateName".into(),
                Kind::SubdomainPrefix,
                out,
            );
        }
        if let Some(namespace) = meta.get("namespace") {
            report(ds, namespace, &|| "the namespace".into(), Kind::Label, out);
        }
    }
    for container in ds.all_containers() {
        if let Some(name) = container.get("name") {
            let what = || format!("the {} name", container.kind.noun());
            report(ds, name, &what, Kind::Label, out);
        }
    }
    for volume in ds.volumes().iter() {
        if let Some(name) = volume.name() {
            report(
                ds,
                name.node,
                &|| "the volume name".into(),
                Kind::Label,
                out,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_dash_is_masked_as_apimachinery_masks_it() {
        // Go's `name[:len(name)-2] + "a"`: the byte before the dash goes too.
        assert_eq!(mask_trailing_dash("node-agent-"), "node-agena");
        assert_eq!(mask_trailing_dash("a-"), "a");
        // One byte, or no dash: unchanged (so `-` alone is still invalid).
        assert_eq!(mask_trailing_dash("-"), "-");
        assert_eq!(mask_trailing_dash("agent"), "agent");
        assert!(dns1123_subdomain(&mask_trailing_dash("node-agent-")).is_empty());
        assert!(!dns1123_subdomain(&mask_trailing_dash("-")).is_empty());
        assert!(!dns1123_subdomain(&mask_trailing_dash("Agent-")).is_empty());
    }
}
