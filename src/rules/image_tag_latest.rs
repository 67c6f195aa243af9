//! `image-tag-latest`: an image without a tag, or tagged `latest`.

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "image-tag-latest",
        default_severity: Severity::Warning,
        category: Category::Reliability,
        summary:
            "A container image has no tag, `latest` or another moving tag (`main`, `nightly`, `stable`...), so nodes can run different versions",
        default_enabled: true,
        fix: FixKind::None,
        since: "0.1.0",
    },
    check,
};

/// What an image reference pins.
#[derive(Debug, PartialEq, Eq)]
pub enum ImagePin<'a> {
    /// `name@sha256:...`: immutable.
    Digest,
    Tag(&'a str),
    /// No tag: the runtime pulls `latest`.
    Untagged,
}

/// Read the tag of an image reference. A `:` before the last `/` belongs to a registry port
/// (`registry.example.com:5000/agent`), not to a tag.
#[must_use]
pub fn image_pin(image: &str) -> ImagePin<'_> {
    if image.contains('@') {
        return ImagePin::Digest;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => ImagePin::Tag(tag),
        None => ImagePin::Untagged,
    }
}

/// True for a well-formed image reference: a lower-case repository path, optionally behind a
/// registry host, with an optional tag or digest. Placeholders (`<image_url>`, `${IMAGE}`,
/// `{{ .Image }}`) and made-up values (`imageValue`) are not references.
#[must_use]
pub fn is_reference(image: &str) -> bool {
    let name = image.split('@').next().unwrap_or(image);
    let mut parts: Vec<&str> = name.split('/').collect();
    if let Some(last) = parts.last_mut() {
        if let Some((repo, tag)) = last.split_once(':') {
            let tag_ok = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !tag_ok {
                return false;
            }
            *last = repo;
        }
    }
    let domain = parts.len() > 1
        && (parts[0].contains(['.', ':'])
            || parts[0] == "localhost"
            || parts[0].bytes().any(|b| b.is_ascii_uppercase()));
    let path = if domain { &parts[1..] } else { &parts[..] };
    if domain
        && !parts[0]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    {
        return false;
    }
    !path.is_empty()
        && path.iter().all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        })
}

fn check(ds: &DaemonSet<'_>, _cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    for container in ds.all_containers() {
        let Some(node) = container.get("image") else {
            continue;
        };
        let Some(image) = node.as_str() else {
            continue;
        };
        // Judge only real references, not placeholders or made-up values.
        if !is_reference(image) {
            continue;
        }
        let what = match image_pin(image) {
            ImagePin::Untagged => "has no tag, so it means `latest`, a moving tag".to_string(),
            ImagePin::Tag("latest") => "is tagged `latest`, a moving tag".to_string(),
            ImagePin::Tag(tag) if is_moving_tag(tag) => {
                format!("is tagged `{tag}`, a moving tag that follows a branch or channel")
            }
            _ => continue,
        };
        out.push(
            Violation::new(
                node.span(),
                format!(
                    "{} image `{image}` {what}: each node runs whatever the tag pointed to when it \
                     pulled the image, so nodes end up running different versions of the agent and \
                     a rollback cannot bring the old one back",
                    container.describe()
                ),
            )
            .help("pin a digest (`@sha256:...`), the only immutable reference, or at least a release tag (`:1.4.2`)"),
        );
    }
}

/// Tags that name a branch or a release channel rather than a release: the image they point to
/// changes as the branch moves (`latest` is reported on its own).
pub const MOVING_TAGS: &[&str] = &[
    "main", "master", "edge", "canary", "nightly", "dev", "devel", "develop", "trunk", "stable",
    "unstable", "beta", "alpha", "rolling", "snapshot", "head",
];

/// True for a tag that names a branch or channel ([`MOVING_TAGS`]), in any letter case, and for
/// `latest` with a suffix (`latest-amd64`, `latest_arm64`): a per-architecture or per-flavour
/// `latest` moves like `latest` itself (plain `latest` is reported on its own).
#[must_use]
pub fn is_moving_tag(tag: &str) -> bool {
    let latest_variant = tag.len() > "latest-".len()
        && tag.as_bytes()[.."latest".len()].eq_ignore_ascii_case(b"latest")
        && matches!(tag.as_bytes()["latest".len()], b'-' | b'_');
    latest_variant || MOVING_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag))
}

#[cfg(test)]
mod tests {
    use super::{image_pin, is_moving_tag, is_reference, ImagePin};

    #[test]
    fn moving_tags() {
        for tag in [
            "main",
            "master",
            "edge",
            "canary",
            "nightly",
            "dev",
            "devel",
            "stable",
            "Nightly",
            "latest-amd64",
            "latest_arm64",
            "LATEST-ppc64le",
        ] {
            assert!(is_moving_tag(tag), "{tag}");
        }
        for tag in [
            "v1.8.2",
            "1.4.2",
            "stable-1.4",
            "main-3f2a1c",
            "edge-20240101",
            "latest",
            "latest-",
            "latestversion",
            "v1-latest",
        ] {
            assert!(!is_moving_tag(tag), "{tag}");
        }
    }

    #[test]
    fn registry_ports_are_not_tags() {
        assert_eq!(image_pin("nginx"), ImagePin::Untagged);
        assert_eq!(image_pin("nginx:latest"), ImagePin::Tag("latest"));
        assert_eq!(
            image_pin("registry.example.com:5000/agent"),
            ImagePin::Untagged
        );
        assert_eq!(
            image_pin("registry.example.com:5000/team/agent:1.2"),
            ImagePin::Tag("1.2")
        );
        assert_eq!(image_pin("agent@sha256:0123abcd"), ImagePin::Digest);
        assert_eq!(image_pin("agent:1.2@sha256:0123abcd"), ImagePin::Digest);
    }

    #[test]
    fn placeholders_are_not_references() {
        assert!(is_reference("nginx"));
        assert!(is_reference("registry.example.com:5000/team/agent:1.2"));
        assert!(is_reference("localhost/agent"));
        assert!(is_reference("quay.io/prometheus/node-exporter:v1.8.2"));
        assert!(!is_reference("imageValue"));
        assert!(!is_reference("<image_url>"));
        assert!(!is_reference("${IMAGE}"));
        assert!(!is_reference("{{ .Values.image }}"));
        assert!(!is_reference(""));
        assert!(!is_reference("agent:"));
    }
}
