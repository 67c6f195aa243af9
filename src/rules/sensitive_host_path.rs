//! `sensitive-host-path`: a hostPath volume exposes a sensitive node location (the root
//! filesystem, `/etc`, `/proc`, the kubelet's state, a container runtime socket, ...).

use std::borrow::Cow;

use super::{Category, FixKind, Rule, RuleCx, RuleMeta, Violation};
use crate::diagnostic::Severity;
use crate::manifest::DaemonSet;

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

/// A host path normalised lexically: `//` collapsed, `.` dropped, `..` applied, no trailing `/`.
/// `None` for anything that is not an absolute POSIX path (a Windows path, a placeholder).
#[must_use]
pub fn normalize_host_path(path: &str) -> Option<Cow<'_, str>> {
    if !path.starts_with('/') {
        return None;
    }
    // The common case, a path already in normal form, is borrowed.
    if path == "/"
        || (!path.ends_with('/')
            && path[1..]
                .split('/')
                .all(|part| !matches!(part, "" | "." | "..")))
    {
        return Some(Cow::Borrowed(path));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Some(Cow::Owned(format!("/{}", parts.join("/"))))
}

/// `path` is `base` or lies beneath it. `/` only covers itself: everything lies beneath it.
fn is_within(path: &str, base: &str) -> bool {
    path == base
        || (base != "/"
            && path
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/')))
}

fn is_socket(entry: &str) -> bool {
    entry.ends_with(".sock")
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// How a host path relates to the sensitive list.
#[derive(Debug, PartialEq, Eq)]
pub enum Exposure {
    /// The path is the entry or lies beneath it.
    Within(String),
    /// The path is a container runtime socket, recognised by its file name.
    SocketName(String),
    /// The path is a parent directory of the entry, so the mount exposes it.
    Contains(String),
}

impl Exposure {
    #[must_use]
    pub fn entry(&self) -> &str {
        match self {
            Self::Within(e) | Self::SocketName(e) | Self::Contains(e) => e,
        }
    }

    /// A container runtime socket: whoever can connect to it controls every container on the
    /// node, and a read-only mount does not stop a client from connecting.
    #[must_use]
    pub fn is_socket(&self) -> bool {
        is_socket(self.entry())
    }
}

/// Split a configured entry into its `!` exemption flag and path.
fn entry_of(e: &str) -> (bool, &str) {
    match e.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, e),
    }
}

/// Normalise the configured list once (each entry lexically, keeping its `!`), dropping entries
/// that are not absolute paths: [`classify`] takes the list in this form.
#[must_use]
pub fn normalize_entries(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| {
            let (negated, raw) = entry_of(e);
            let path = normalize_host_path(raw)?;
            Some(if negated {
                format!("!{path}")
            } else {
                path.into_owned()
            })
        })
        .collect()
}

/// Classify `path` (already normalised) against `entries` (the configured list as
/// [`normalize_entries`] leaves it: `!` exempts a subtree, the longest matching entry wins).
#[must_use]
pub fn classify(path: &str, entries: &[String]) -> Option<Exposure> {
    let entries = || entries.iter().map(|e| entry_of(e));
    let best = entries()
        .filter(|(_, e)| is_within(path, e))
        .max_by_key(|(_, e)| e.len());
    if let Some((negated, entry)) = best {
        if !negated {
            return Some(Exposure::Within(entry.to_string()));
        }
    }
    let positive = || entries().filter(|(n, _)| !n).map(|(_, e)| e);
    if best.is_none() {
        let name = file_name(path);
        if let Some(socket) = positive().find(|e| is_socket(e) && file_name(e) == name) {
            return Some(Exposure::SocketName(socket.to_string()));
        }
    }
    // A parent directory exposes what lies beneath it; prefer a runtime socket, the worst case.
    let mut contained = positive().filter(|e| *e != path && is_within(e, path));
    let first = contained.next()?;
    let socket = std::iter::once(first)
        .chain(contained)
        .find(|e| is_socket(e));
    Some(Exposure::Contains(socket.unwrap_or(first).to_string()))
}

/// What a well-known location holds, for messages.
fn what(entry: &str) -> &'static str {
    match entry {
        "/" => "the node's whole filesystem",
        "/etc" => "the node's configuration and credentials",
        "/etc/kubernetes" => "the kubelet's kubeconfig and the cluster's certificates",
        "/proc" => "every host process's memory maps and environment",
        "/sys" => "the kernel's settings",
        "/boot" => "the node's kernel and boot loader",
        "/dev" => "the node's devices, raw disks included",
        "/lib" | "/usr" => "the node's system binaries and libraries",
        "/root" => "the root user's home directory",
        "/var/lib/kubelet" => "the kubelet's state, including every pod's secrets",
        "/var/lib/docker" | "/var/lib/containerd" => {
            "the container runtime's state: every container's filesystem and configuration"
        }
        e if is_socket(e) => "the container runtime's API",
        _ => "a sensitive node location",
    }
}

fn check(ds: &DaemonSet<'_>, cx: &RuleCx<'_>, out: &mut Vec<Violation>) {
    let entries = &cx.settings.options.sensitive_host_paths;
    for (name, volume) in ds.host_path_volumes() {
        let Some(path_node) = volume.get_path(&["hostPath", "path"]) else {
            continue;
        };
        let Some(raw) = path_node.as_str() else {
            continue;
        };
        let Some(path) = normalize_host_path(raw) else {
            continue;
        };
        let Some(exposure) = classify(&path, entries) else {
            continue;
        };
        // A volume no container mounts exposes nothing.
        let mounts: Vec<_> = ds
            .all_containers()
            .flat_map(|c| c.volume_mounts().map(move |m| (c, m)))
            .filter(|(_, m)| m.get("name").and_then(|n| n.as_str()) == Some(name))
            .collect();
        let Some(first) = mounts.first() else {
            continue;
        };
        let writable = mounts
            .iter()
            .find(|(_, m)| m.get("readOnly").and_then(|r| r.as_bool()) != Some(true));
        // The configuration's allow-list for this DaemonSet.
        if cx
            .settings
            .options
            .host_path_allowed(ds.object.name(), &path, writable.is_none())
        {
            continue;
        }
        let location = match &exposure {
            Exposure::Within(e) if *e == path => format!("`{path}` ({})", what(e)),
            Exposure::Within(e) => format!("`{path}`, under `{e}` ({})", what(e)),
            Exposure::SocketName(e) => {
                format!("`{path}`, a container runtime socket like `{e}`")
            }
            Exposure::Contains(e) => {
                format!("`{path}`, which contains `{e}` ({})", what(e))
            }
        };
        let create = match volume
            .get_path(&["hostPath", "type"])
            .and_then(|t| t.as_str())
        {
            Some(t @ ("DirectoryOrCreate" | "FileOrCreate")) => format!(
                "; `type: {t}` makes the kubelet create it inside that tree on every node where it \
                 is missing, instead of failing"
            ),
            _ => String::new(),
        };
        let (how, severity) = if exposure.is_socket() {
            (
                "whoever controls the agent can start privileged containers on every node (a \
                 read-only mount does not help: clients can still connect to the socket)"
                    .to_string(),
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
            Some((_, m)) => (m.span(), "mounted writable here"),
            None => (first.1.span(), "mounted here"),
        };
        out.push(
            Violation::new(
                path_node.span(),
                format!("hostPath volume `{name}` exposes {location}: {how}{create}"),
            )
            .severity(severity)
            .label(label_at, label)
            .help(
                "mount the narrowest path the agent needs (a file or a subdirectory of its own) \
                 with `readOnly: true`; if the agent needs this location, suppress this finding \
                 with the reason",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_SENSITIVE_HOST_PATHS;

    fn classify_default(path: &str) -> Option<Exposure> {
        let entries: Vec<String> = DEFAULT_SENSITIVE_HOST_PATHS
            .iter()
            .map(|e| (*e).to_string())
            .collect();
        classify(&normalize_host_path(path)?, &entries)
    }

    #[test]
    fn the_default_list_is_already_normalised() {
        let defaults: Vec<String> = DEFAULT_SENSITIVE_HOST_PATHS
            .iter()
            .map(|e| (*e).to_string())
            .collect();
        assert_eq!(normalize_entries(&defaults), defaults);
        assert_eq!(
            normalize_entries(&[
                "!/etc//cni/".into(),
                "relative".into(),
                "/var/./run/".into()
            ]),
            ["!/etc/cni", "/var/run"]
        );
    }

    #[test]
    fn normalises_lexically() {
        assert_eq!(normalize_host_path("/etc/").as_deref(), Some("/etc"));
        assert_eq!(
            normalize_host_path("//etc//kubernetes/.").as_deref(),
            Some("/etc/kubernetes")
        );
        assert_eq!(
            normalize_host_path("/var/log/../../etc").as_deref(),
            Some("/etc")
        );
        assert_eq!(normalize_host_path("/..").as_deref(), Some("/"));
        assert_eq!(normalize_host_path("C:\\var\\lib\\kubelet"), None);
        assert_eq!(normalize_host_path("pathValue"), None);
    }

    #[test]
    fn matches_by_prefix_not_by_string() {
        use Exposure::*;
        assert_eq!(classify_default("/"), Some(Within("/".into())));
        assert_eq!(classify_default("/etc/"), Some(Within("/etc".into())));
        assert_eq!(
            classify_default("/etc/kubernetes/pki"),
            Some(Within("/etc/kubernetes".into()))
        );
        assert_eq!(classify_default("/etcd-data"), None);
        assert_eq!(classify_default("/var/log"), None);
        assert_eq!(
            classify_default("/var/lib/kubelet/pods"),
            Some(Within("/var/lib/kubelet".into()))
        );
        assert_eq!(classify_default("/var/lib/kubelet/plugins_registry/"), None);
        assert_eq!(
            classify_default("/var/lib/kubelet/plugins/csi.example.com"),
            None
        );
        assert_eq!(classify_default("/etc/cni/net.d"), None);
        assert_eq!(classify_default("/etc/cni"), Some(Within("/etc".into())));
        assert_eq!(
            classify_default("/var/lib"),
            Some(Contains("/var/lib/kubelet".into()))
        );
        assert_eq!(
            classify_default("/var/run"),
            Some(Contains("/var/run/containerd/containerd.sock".into()))
        );
        assert_eq!(
            classify_default("/run/containerd"),
            Some(Contains("/run/containerd/containerd.sock".into()))
        );
        assert_eq!(classify_default("/var/run/calico"), None);
        assert_eq!(
            classify_default("/var/snap/microk8s/common/run/containerd.sock"),
            Some(SocketName("/var/run/containerd/containerd.sock".into()))
        );
        assert!(classify_default("/run/docker.sock").is_some_and(|e| e.is_socket()));
        assert!(classify_default("/run").is_some_and(|e| e.is_socket()));
        assert!(classify_default("/proc").is_some_and(|e| !e.is_socket()));
    }
}
