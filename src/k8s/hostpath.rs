//! What a hostPath is to a node: one classification that `sensitive-host-path`,
//! `writable-host-path` and the inventory share.
//!
//! A host path is judged after lexical normalisation ([`normalize_host_path`]) against
//! - the configurable sensitive list ([`DEFAULT_SENSITIVE_HOST_PATHS`], `!` exempts a subtree),
//!   read by [`classify`]: sensitive whether the mount is read-only or not;
//! - locations that are only dangerous to *write* ([`classify_writable`]): the CNI plugin
//!   binaries and the FlexVolume drivers, which the runtime and the kubelet execute as root;
//! - the kubelet directories a CSI node plugin or a device plugin must write
//!   ([`kubelet_plugin_dir`]): registration sockets, driver sockets, and the pods' volume
//!   directories a CSI plugin publishes into with `Bidirectional` propagation.

use std::borrow::Cow;

/// The default `sensitive_host_paths`.
pub const DEFAULT_SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/boot",
    "/dev",
    "/etc",
    "/etc/kubernetes",
    "/lib",
    "/proc",
    "/root",
    "/sys",
    "/usr",
    "/var/lib/kubelet",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/lib/docker",
    // Container runtime sockets: whoever connects to one runs containers on the node. A socket
    // with one of these file names is recognised wherever it lives (k3s, microk8s, rootless
    // podman under `/run/user/<uid>`).
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
    "/run/dockershim.sock",
    "/var/run/podman/podman.sock",
    "/run/podman/podman.sock",
    // The Node Resource Interface (containerd, CRI-O): an NRI plugin connected to it can
    // rewrite the spec of every container the runtime creates.
    "/var/run/nri/nri.sock",
    "/run/nri/nri.sock",
    // Interfaces the kubelet offers node agents (CSI and device plugin registration, the
    // pod-resources API: see `KUBELET_PLUGIN_DIRS`), the CNI configuration a network plugin
    // installs, and files agents read to learn the node's identity, OS and time zone.
    "!/var/lib/kubelet/plugins",
    "!/var/lib/kubelet/plugins_registry",
    "!/var/lib/kubelet/device-plugins",
    "!/var/lib/kubelet/pod-resources",
    "!/etc/kubernetes/secrets-store-csi-providers",
    "!/etc/cni/net.d",
    "!/etc/localtime",
    "!/etc/machine-id",
    "!/etc/os-release",
    "!/etc/lsb-release",
    "!/etc/redhat-release",
    "!/etc/fedora-release",
];

/// Locations that are safe to read but not to write: the node executes what lies there as root.
pub const WRITE_SENSITIVE_HOST_PATHS: &[(&str, &str)] = &[
    (
        "/opt/cni/bin",
        "the CNI plugin binaries, which the container runtime executes as root on every pod start",
    ),
    (
        "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
        "the FlexVolume drivers, which the kubelet executes as root",
    ),
];

/// The kubelet directories that node plugins must write, as the kubelet lays them out.
pub const KUBELET_PLUGIN_DIRS: &[(&str, PluginDir)] = &[
    ("/var/lib/kubelet/plugins", PluginDir::CsiDriver),
    ("/var/lib/kubelet/plugins_registry", PluginDir::Registration),
    ("/var/lib/kubelet/device-plugins", PluginDir::DevicePlugin),
    ("/var/lib/kubelet/pod-resources", PluginDir::PodResources),
    // The Secrets Store CSI driver's provider sockets: `/var/run/...` by default, under
    // `/etc/kubernetes` on some managed clusters (AKS).
    (
        "/var/run/secrets-store-csi-providers",
        PluginDir::SecretsStoreProviders,
    ),
    (
        "/run/secrets-store-csi-providers",
        PluginDir::SecretsStoreProviders,
    ),
    (
        "/etc/kubernetes/secrets-store-csi-providers",
        PluginDir::SecretsStoreProviders,
    ),
];

/// A kubelet directory a CSI node plugin or a device plugin needs to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluginDir {
    /// `/var/lib/kubelet/plugins/<driver>`: the CSI driver's socket and staging area.
    CsiDriver,
    /// `/var/lib/kubelet/plugins_registry`: where plugins register with the kubelet.
    Registration,
    /// `/var/lib/kubelet/device-plugins`: the device plugin API's sockets.
    DevicePlugin,
    /// `/var/lib/kubelet/pod-resources`: the pod-resources API socket.
    PodResources,
    /// `/var/run/secrets-store-csi-providers` (or its `/etc/kubernetes` twin): where the
    /// Secrets Store CSI driver's providers create the sockets the driver calls.
    SecretsStoreProviders,
    /// `/var/lib/kubelet/pods` (or the kubelet's whole directory) with `Bidirectional` mount
    /// propagation: where a CSI node plugin publishes volumes into pods.
    PodVolumes,
}

impl PluginDir {
    /// The plugin must write there (create its socket, publish volumes). The pod-resources
    /// API is only connected to, which a read-only mount allows.
    #[must_use]
    pub fn needs_write(self) -> bool {
        self != Self::PodResources
    }

    /// What the directory is for, for messages.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::CsiDriver => "the CSI driver's socket and staging directory",
            Self::Registration => "the kubelet's plugin registration directory",
            Self::DevicePlugin => "the device plugin API's socket directory",
            Self::PodResources => "the kubelet's pod-resources API socket",
            Self::SecretsStoreProviders => {
                "the Secrets Store CSI driver's provider socket directory"
            }
            Self::PodVolumes => {
                "the pods' volume directories, where a CSI node plugin publishes volumes with \
                 `Bidirectional` propagation"
            }
        }
    }
}

/// The kubelet plugin directory `path` (normalised) is, given the mount's propagation.
#[must_use]
pub fn kubelet_plugin_dir(path: &str, bidirectional: bool) -> Option<PluginDir> {
    if let Some((_, dir)) = KUBELET_PLUGIN_DIRS
        .iter()
        .find(|(base, _)| is_within(path, base))
    {
        return Some(*dir);
    }
    (bidirectional && (path == "/var/lib/kubelet" || is_within(path, "/var/lib/kubelet/pods")))
        .then_some(PluginDir::PodVolumes)
}

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

/// Classify `path` (normalised) against [`WRITE_SENSITIVE_HOST_PATHS`]: locations whose
/// contents the node executes as root, so a writable mount of them (or of a directory above
/// them) lets the agent plant code that runs as root on the node.
#[must_use]
pub fn classify_writable(path: &str) -> Option<Exposure> {
    let entries = || WRITE_SENSITIVE_HOST_PATHS.iter().map(|(e, _)| *e);
    if let Some(entry) = entries().find(|e| is_within(path, e)) {
        return Some(Exposure::Within(entry.to_string()));
    }
    // `/` is judged by the configured list already.
    if path == "/" {
        return None;
    }
    entries()
        .find(|e| is_within(e, path))
        .map(|e| Exposure::Contains(e.to_string()))
}

/// How a mount of `path` (normalised) exposes the node: the configured list first, then, for a
/// writable mount, the locations the node executes as root. The flag is true for the latter.
/// `sensitive-host-path` and the inventory both judge a mount with this.
#[must_use]
pub fn classify_mount(path: &str, entries: &[String], writable: bool) -> Option<(Exposure, bool)> {
    match classify(path, entries) {
        Some(exposure) => Some((exposure, false)),
        None if writable => classify_writable(path).map(|e| (e, true)),
        None => None,
    }
}

/// `/dev/log`, the syslog socket: under `/dev` but no device.
#[must_use]
pub fn is_syslog_socket(path: &str) -> bool {
    path == "/dev/log"
}

/// What a well-known location holds, for messages: `path` is the mounted path, `entry` the
/// list entry it matched.
#[must_use]
pub fn describe(path: &str, entry: &str) -> &'static str {
    // `/dev/log` lies under `/dev` but is no device: it is the syslog socket.
    if is_syslog_socket(path) && is_within(entry, "/dev") {
        return "the node's syslog socket";
    }
    if let Some((_, what)) = WRITE_SENSITIVE_HOST_PATHS.iter().find(|(e, _)| *e == entry) {
        return what;
    }
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
        "/var/lib/docker" | "/var/lib/containerd" | "/var/lib/containers" => {
            "the container runtime's state: every container's filesystem and configuration"
        }
        "/var/run/nri/nri.sock" | "/run/nri/nri.sock" => {
            "the runtime's Node Resource Interface, through which a plugin can rewrite every \
             container the runtime creates"
        }
        e if is_socket(e) => "the container runtime's API",
        _ => "a sensitive node location",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        DEFAULT_SENSITIVE_HOST_PATHS
            .iter()
            .map(|e| (*e).to_string())
            .collect()
    }

    fn classify_default(path: &str) -> Option<Exposure> {
        classify(&normalize_host_path(path)?, &defaults())
    }

    #[test]
    fn the_default_list_is_already_normalised() {
        assert_eq!(normalize_entries(&defaults()), defaults());
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
    fn every_kubelet_plugin_dir_is_exempt_from_the_sensitive_list() {
        for (dir, _) in KUBELET_PLUGIN_DIRS {
            // Those inside a sensitive tree are exempted by name; all are left alone.
            let inside = DEFAULT_SENSITIVE_HOST_PATHS
                .iter()
                .any(|e| !e.starts_with('!') && *e != "/" && is_within(dir, e));
            assert_eq!(
                inside,
                DEFAULT_SENSITIVE_HOST_PATHS.contains(&format!("!{dir}").as_str()),
                "{dir}"
            );
            assert_eq!(classify_default(dir), None, "{dir}");
        }
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
        // The CNI binaries are only sensitive to write.
        assert_eq!(classify_default("/opt/cni/bin"), None);
    }

    #[test]
    fn every_runtime_socket_is_recognised() {
        use Exposure::*;
        for path in [
            "/run/podman/podman.sock",
            "/var/run/podman/podman.sock",
            "/run/user/1000/podman/podman.sock",
            "/var/run/cri-dockerd.sock",
            "/run/crio/crio.sock",
            "/var/run/dockershim.sock",
            "/run/k3s/containerd/containerd.sock",
            "/var/snap/microk8s/common/run/containerd.sock",
        ] {
            let exposure = classify_default(path);
            assert!(
                exposure.as_ref().is_some_and(Exposure::is_socket),
                "{path}: {exposure:?}"
            );
        }
        assert_eq!(
            classify_default("/run/podman"),
            Some(Contains("/run/podman/podman.sock".into()))
        );
        assert_eq!(
            classify_default("/run/k3s"),
            Some(Contains("/run/k3s/containerd/containerd.sock".into()))
        );
        assert_eq!(
            classify_default("/var/lib/containers/storage"),
            Some(Within("/var/lib/containers".into()))
        );
        assert_eq!(classify_default("/run/podman-helper.socket"), None);
    }

    #[test]
    fn executables_of_the_node_are_sensitive_to_write() {
        use Exposure::*;
        assert_eq!(
            classify_writable("/opt/cni/bin"),
            Some(Within("/opt/cni/bin".into()))
        );
        assert_eq!(
            classify_writable("/opt/cni/bin/calico"),
            Some(Within("/opt/cni/bin".into()))
        );
        assert_eq!(
            classify_writable("/opt"),
            Some(Contains("/opt/cni/bin".into()))
        );
        assert_eq!(classify_writable("/opt/cni-bin"), None);
        assert_eq!(classify_writable("/etc/cni/net.d"), None);
        assert_eq!(classify_writable("/"), None);
        assert!(describe("/opt/cni/bin", "/opt/cni/bin").contains("as root"));
    }

    #[test]
    fn kubelet_plugin_dirs() {
        use PluginDir::*;
        assert_eq!(
            kubelet_plugin_dir("/var/lib/kubelet/plugins/ebs.csi.aws.com", false),
            Some(CsiDriver)
        );
        assert_eq!(
            kubelet_plugin_dir("/var/lib/kubelet/plugins_registry", false),
            Some(Registration)
        );
        assert_eq!(
            kubelet_plugin_dir("/var/lib/kubelet/device-plugins", false),
            Some(DevicePlugin)
        );
        assert_eq!(kubelet_plugin_dir("/var/lib/kubelet/pods", false), None);
        assert_eq!(
            kubelet_plugin_dir("/var/lib/kubelet/pods", true),
            Some(PodVolumes)
        );
        assert_eq!(
            kubelet_plugin_dir("/var/lib/kubelet", true),
            Some(PodVolumes)
        );
        assert_eq!(kubelet_plugin_dir("/var/lib/kubelet", false), None);
        assert_eq!(kubelet_plugin_dir("/var/lib/kubelet-other", true), None);
        assert_eq!(kubelet_plugin_dir("/var/lib", true), None);
    }

    #[test]
    fn dev_log_is_the_syslog_socket() {
        assert!(describe("/dev/log", "/dev").contains("syslog"));
        assert!(describe("/dev/sda", "/dev").contains("devices"));
    }
}
