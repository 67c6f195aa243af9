//! The typed views: values, spans and the semantics the rules relied on when they read nodes;
//! and the check that rules read the shared fields through them.

use super::{is, objects, DaemonSet, SecurityContext};
use crate::source::Span;
use crate::yaml::{documents, Document, Limits, Resolved};

fn with_daemonset(pod_spec: &str, check: impl FnOnce(&DaemonSet<'_>, &str)) {
    with_spec("", pod_spec, check);
}

/// A DaemonSet with `spec_extra` under `spec` and `pod_spec` (indented by 6) under the pod spec.
fn with_spec(spec_extra: &str, pod_spec: &str, check: impl FnOnce(&DaemonSet<'_>, &str)) {
    let text = format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: a}}\nspec:\n{spec_extra}  \
         template:\n    spec:\n{pod_spec}"
    );
    let docs: Vec<Document<'_>> = documents(&text, Limits::default())
        .map(|d| d.expect("yaml"))
        .collect();
    let object = objects(&docs[0]).remove(0);
    let ds = DaemonSet::from_object(object).expect("daemonset");
    check(&ds, &text);
}

fn at(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

const CONTAINER: &str = "      containers:\n        - name: a\n          image: a:1\n";

#[test]
fn a_field_has_its_value_its_key_span_and_its_value_span() {
    let pod = format!("{CONTAINER}          securityContext:\n            privileged: true\n");
    with_daemonset(&pod, |ds, text| {
        let sc = ds.containers[0]
            .security_context()
            .expect("securityContext");
        assert_eq!(at(text, sc.key_span), "securityContext");
        let f = sc.privileged().expect("privileged");
        assert_eq!(f.value, Some(true));
        assert_eq!(f.name, "privileged");
        assert_eq!(at(text, f.key_span), "privileged");
        assert_eq!(at(text, f.value_span), "true");
        assert!(sc.allow_privilege_escalation().is_none());
    });
}

#[test]
fn values_resolve_as_kubernetes_reads_them_and_wrong_types_are_kept() {
    let pod = format!(
        "{CONTAINER}          securityContext:\n            privileged: yes\n            \
         readOnlyRootFilesystem: \"true\"\n            allowPrivilegeEscalation:\n            \
         runAsUser: 0640\n"
    );
    with_daemonset(&pod, |ds, text| {
        let sc = ds.containers[0]
            .security_context()
            .expect("securityContext");
        // YAML 1.1: `yes` is a boolean.
        assert!(is(sc.privileged(), true));
        // A quoted string is not a boolean: the field is there, its value is not.
        let ro = sc.read_only_root_filesystem().expect("present");
        assert_eq!(ro.value, None);
        assert_eq!(ro.text(), Some("true"));
        assert!(!ro.is_null());
        assert_eq!(at(text, ro.value_span), "\"true\"");
        // An empty value is null, and `non_null` drops it.
        let ape = sc.allow_privilege_escalation().expect("present");
        assert!(ape.is_null());
        assert!(ape.non_null().is_none());
        // YAML 1.1 octal.
        assert_eq!(sc.run_as_user().and_then(|f| f.value), Some(0o640));
    });
}

#[test]
fn an_aliased_value_points_at_the_alias_site() {
    let pod = "      securityContext: &sc {runAsNonRoot: true}\n      containers:\n        \
               - name: a\n          image: a:1\n          securityContext: *sc\n";
    with_daemonset(pod, |ds, text| {
        let sc = ds.containers[0]
            .security_context()
            .expect("securityContext");
        let f = sc.run_as_non_root().expect("runAsNonRoot");
        assert_eq!(f.value, Some(true));
        assert_eq!(at(text, f.value_span), "*sc");
        let own = ds.pod_security_context().expect("pod securityContext");
        assert_eq!(
            at(text, own.run_as_non_root().expect("field").value_span),
            "true"
        );
    });
}

#[test]
fn the_container_setting_wins_and_null_falls_back_to_the_pod() {
    let pod = format!(
        "      securityContext: {{runAsUser: 1000, runAsNonRoot: true}}\n{CONTAINER}          \
         securityContext: {{runAsUser: 0, runAsNonRoot: null}}\n"
    );
    with_daemonset(&pod, |ds, text| {
        let c = &ds.containers[0];
        let user = ds
            .effective_security(c, SecurityContext::run_as_user)
            .expect("runAsUser");
        assert_eq!(user.value, Some(0));
        let non_root = ds
            .effective_security(c, SecurityContext::run_as_non_root)
            .expect("runAsNonRoot");
        assert_eq!(non_root.value, Some(true));
        assert!(text[non_root.value_span.start as usize..].starts_with("true}\n      containers"));
        assert!(ds
            .effective_security(c, SecurityContext::run_as_group)
            .is_none());
    });
}

#[test]
fn host_namespaces_capabilities_and_seccomp() {
    let pod = format!(
        "      hostNetwork: true\n      hostPID: false\n{CONTAINER}          securityContext:\n            \
         capabilities: {{add: [cap_sys_admin, 3], drop: [ALL]}}\n            \
         seccompProfile: {{type: RuntimeDefault}}\n"
    );
    with_daemonset(&pod, |ds, text| {
        assert!(ds.uses_host_network());
        assert_eq!(
            at(text, ds.host_network().expect("f").key_span),
            "hostNetwork"
        );
        assert!(is(ds.host_pid(), false));
        assert!(ds.host_ipc().is_none());
        let c = &ds.containers[0];
        let added: Vec<String> = c.added_capabilities().into_iter().map(|(_, n)| n).collect();
        assert_eq!(added, ["SYS_ADMIN"]);
        let sc = c.security_context().expect("sc");
        let dropped: Vec<String> = sc
            .capabilities()
            .expect("caps")
            .drop()
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(dropped, ["ALL"]);
        assert!(is(
            sc.seccomp_profile().and_then(|p| p.kind()),
            "RuntimeDefault"
        ));
    });
}

#[test]
fn volumes_mounts_and_host_paths() {
    let pod = "      containers:\n        - name: a\n          image: a:1\n          \
               volumeMounts:\n            - {name: root, mountPath: /host, readOnly: true}\n            \
               - {name: sock, mountPath: /s, mountPropagation: Bidirectional, readOnly: null}\n          \
               volumeDevices: [{name: dev, devicePath: /dev/x}]\n      volumes:\n        \
               - {name: root, hostPath: {path: /, type: Directory}}\n        \
               - {name: sock, hostPath: {path: 5}}\n        - {name: cm, configMap: {name: c}}\n        \
               - {name: bad, hostPath: /x}\n";
    with_daemonset(pod, |ds, text| {
        let volumes = ds.volumes();
        assert!(!volumes.is_malformed());
        assert_eq!(volumes.iter().count(), 4);
        let host: Vec<&str> = volumes.host_paths().iter().map(|v| v.name).collect();
        // `bad` has a hostPath that is not a mapping.
        assert_eq!(host, ["root", "sock"]);
        let root = volumes.host_paths()[0];
        assert!(is(root.host_path.path(), "/"));
        assert!(is(root.host_path.kind(), "Directory"));
        // A path that is not a string: no value, but its text.
        let sock = volumes.host_paths()[1];
        let path = sock.host_path.path().expect("path");
        assert_eq!((path.value, path.text()), (None, Some("5")));
        let c = &ds.containers[0];
        let mounts: Vec<_> = c.mounts().collect();
        assert!(mounts[0].is_read_only());
        assert!(!mounts[0].is_bidirectional());
        assert!(!mounts[1].is_read_only());
        assert!(mounts[1].read_only().expect("present").is_null());
        assert!(mounts[1].is_bidirectional());
        assert!(is(mounts[1].name(), "sock"));
        let devices: Vec<_> = c.devices().collect();
        assert_eq!(at(text, devices[0].name().expect("name").value_span), "dev");
        assert_eq!(ds.host_path_volumes().len(), 2);
    });
    with_daemonset(&format!("{CONTAINER}      volumes: {{a: b}}\n"), |ds, _| {
        assert!(ds.volumes().is_malformed());
        assert_eq!(ds.volumes().iter().count(), 0);
    });
    with_daemonset(&format!("{CONTAINER}      volumes:\n"), |ds, _| {
        assert!(!ds.volumes().is_malformed());
    });
}

#[test]
fn resources_and_tolerations() {
    let pod = "      tolerations:\n        - {key: k, operator: Exists, effect: NoSchedule}\n        \
               - just-a-string\n      containers:\n        - name: a\n          image: a:1\n          \
               resources: {requests: {cpu: 100m, memory: null}, limits: {memory: 1Gi}}\n";
    with_daemonset(pod, |ds, text| {
        let r = ds.containers[0].resources().expect("resources");
        assert_eq!(at(text, r.key_span), "resources");
        let requests = r.requests().expect("requests");
        assert!(requests.has("cpu"));
        assert!(!requests.has("memory"));
        assert!(requests.get("memory").is_some());
        assert_eq!(requests.get("cpu").and_then(|f| f.value), Some("100m"));
        assert!(r.limits().expect("limits").has("memory"));
        let t = ds.tolerations().expect("tolerations");
        assert!(t.is_list());
        assert_eq!(at(text, t.key_span), "tolerations");
        let items: Vec<_> = t.iter().collect();
        assert_eq!(items.len(), 1);
        assert!(is(items[0].operator(), "Exists"));
        assert!(items[0].value().is_none());
    });
}

#[test]
fn update_strategy_fields() {
    let spec =
        "  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {maxUnavailable: 25%, \
                maxSurge: null}\n";
    with_spec(spec, CONTAINER, |ds, text| {
        let s = ds.update_strategy().expect("updateStrategy");
        assert_eq!(at(text, s.key_span), "updateStrategy");
        assert!(is(s.kind(), "RollingUpdate"));
        let u = s.max_unavailable().expect("maxUnavailable");
        assert_eq!(u.value, Some(Resolved::Str("25%")));
        assert_eq!(u.name, "maxUnavailable");
        // Null counts as unset.
        assert!(s.max_surge().is_none());
    });
    with_spec("  updateStrategy:\n", CONTAINER, |ds, _| {
        let s = ds.update_strategy().expect("present");
        assert!(s.is_null());
        assert!(s.kind().is_none());
    });
    with_spec("  updateStrategy: {type: [x]}\n", CONTAINER, |ds, _| {
        // A `type` that is not a scalar is present, without a value.
        let kind = ds.update_strategy().and_then(|s| s.kind()).expect("type");
        assert_eq!(kind.value, None);
    });
}

// The rules read the fields several rules share through the views above, never by key string.

/// Keys the views read: a rule that spells one looks a shared field up by hand.
const SHARED_KEYS: &[&str] = &[
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "securityContext",
    "privileged",
    "allowPrivilegeEscalation",
    "runAsUser",
    "runAsNonRoot",
    "runAsGroup",
    "readOnlyRootFilesystem",
    "capabilities",
    "add",
    "drop",
    "seccompProfile",
    "volumes",
    "hostPath",
    "volumeMounts",
    "volumeDevices",
    "readOnly",
    "mountPropagation",
    "resources",
    "requests",
    "limits",
    "tolerations",
    "updateStrategy",
    "rollingUpdate",
    "maxUnavailable",
    "maxSurge",
];

/// (file, key, occurrences, why): a rule may spell a shared key only to write it in a fix (the
/// fix builders take the key to insert).
const ALLOWED: &[(&str, &str, usize, &str)] = &[
    (
        "privilege_escalation.rs",
        "securityContext",
        1,
        "its fix creates the securityContext",
    ),
    (
        "privilege_escalation.rs",
        "allowPrivilegeEscalation",
        2,
        "its fix writes the setting",
    ),
    (
        "writable_host_path.rs",
        "readOnly",
        1,
        "its fix adds `readOnly: true` to the mount",
    ),
    (
        "missing_control_plane_toleration.rs",
        "tolerations",
        1,
        "its fix creates the tolerations list",
    ),
    (
        "deprecated_api_version.rs",
        "updateStrategy",
        1,
        "its fix writes the OnDelete strategy the old version defaulted",
    ),
];

/// Files of `src/rules/` that hold no rule body: the registry and the engine (its rule
/// categories include `resources`, a name rather than a key).
const NOT_RULES: &[&str] = &["mod.rs"];

/// The string literals of Rust source `code`, with their line numbers (comments, character
/// literals and lifetimes skipped; raw strings read).
fn string_literals(code: &str) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    line += usize::from(bytes[i] == b'\n');
                    i += 1;
                }
                i += 2;
            }
            b'\'' => {
                // `'x'` or `'\n'`: a character literal; anything else is a lifetime.
                if bytes.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < bytes.len() && bytes[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if bytes.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            b'r' if (bytes.get(i + 1) == Some(&b'"') || bytes.get(i + 1) == Some(&b'#'))
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                let mut j = i + 1;
                while bytes.get(j) == Some(&b'#') {
                    j += 1;
                }
                if bytes.get(j) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let hashes = j - i - 1;
                let close = format!("\"{}", "#".repeat(hashes));
                let start = j + 1;
                let end = code[start..].find(&close).map_or(code.len(), |e| start + e);
                out.push((line, code[start..end].to_string()));
                line += code[start..end].matches('\n').count();
                i = end + close.len();
            }
            b'"' => {
                let start_line = line;
                let mut text = String::new();
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        text.push('\\');
                        i += 1;
                    }
                    if i < bytes.len() {
                        line += usize::from(bytes[i] == b'\n');
                        text.push(bytes[i] as char);
                        i += 1;
                    }
                }
                i += 1;
                out.push((start_line, text));
            }
            _ => i += 1,
        }
    }
    out
}

/// Each shared key a rule source spells, with its lines.
fn shared_key_uses(code: &str) -> Vec<(usize, String)> {
    string_literals(code)
        .into_iter()
        .filter(|(_, s)| SHARED_KEYS.contains(&s.as_str()))
        .collect()
}

#[test]
fn the_scan_finds_a_lookup_by_string_and_nothing_else() {
    let code = r#"
        // ds.pod.get("hostNetwork") in a comment
        let url = "https://example.com"; /* "privileged" */
        let a: &'static str = "`hostNetwork: true`: the pods share";
        let c = '"';
        let n = ds.pod.get("hostNetwork");
        let m = sc.get_path(&["capabilities", "add"]);
        for field in ["maxUnavailable", "maxSurge"] {}
    "#;
    let found: Vec<(usize, String)> = shared_key_uses(code);
    let keys: Vec<&str> = found.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "hostNetwork",
            "capabilities",
            "add",
            "maxUnavailable",
            "maxSurge"
        ]
    );
    assert_eq!(found[0].0, 6);
}

#[test]
fn rules_read_the_shared_fields_through_the_typed_views() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("src/rules")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| {
            let name = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
            !NOT_RULES.contains(&name)
        })
        .collect();
    files.sort();
    assert!(files.len() > 20, "the rule files: {files:?}");
    let mut problems = Vec::new();
    for path in &files {
        let file = path.file_name().and_then(|f| f.to_str()).expect("name");
        let code = std::fs::read_to_string(path).expect("read");
        let uses = shared_key_uses(&code);
        for key in SHARED_KEYS {
            let lines: Vec<usize> = uses
                .iter()
                .filter(|(_, k)| k == key)
                .map(|(l, _)| *l)
                .collect();
            let allowed = ALLOWED
                .iter()
                .find(|(f, k, _, _)| *f == file && k == key)
                .map_or(0, |(_, _, n, _)| *n);
            if lines.len() != allowed {
                problems.push(format!(
                    "src/rules/{file} spells \"{key}\" {} time(s) (lines {lines:?}; allowed \
                     {allowed}): read it through the typed view in src/manifest/ (or, for a key a \
                     fix writes, adjust the allow-list with the reason)",
                    lines.len()
                ));
            }
        }
    }
    // Every allow-list entry names a rule file that exists.
    for (file, _, _, _) in ALLOWED {
        assert!(
            dir.join(file).is_file(),
            "allow-list entry for a missing file {file}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
