#![allow(clippy::unwrap_used)]
//! The run-level phase: `pod-security-admission` and the cross-object checks over several files,
//! labels that point into other files, and the privilege inventory in each format.

use std::path::PathBuf;

use daemonlint::config::Settings;
use daemonlint::k8s::pss::Level;

fn data(name: &str) -> PathBuf {
    PathBuf::from("tests/data/cross").join(name)
}

fn concise(report: &daemonlint::Report) -> String {
    let mut out = Vec::new();
    daemonlint::report::emit(
        daemonlint::report::OutputFormat::Concise,
        report,
        daemonlint::report::RenderOptions {
            color: false,
            summary: true,
            src_root: None,
        },
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn cross_object_findings_across_files_point_into_the_other_file() {
    let report =
        daemonlint::Linter::new(&Settings::default()).report(&daemonlint::Inputs::paths(&[
            PathBuf::from("tests/data/cross"),
        ]));
    insta::assert_snapshot!("cross_files_concise", concise(&report));
    let mut json = Vec::new();
    daemonlint::report::emit(
        daemonlint::report::OutputFormat::Json,
        &report,
        daemonlint::report::RenderOptions {
            color: false,
            summary: true,
            src_root: None,
        },
        &mut json,
    )
    .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let admin = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "cluster-admin-binding")
        .unwrap();
    assert_eq!(admin["file"], "tests/data/cross/agent.yaml");
    assert_eq!(admin["labels"][0]["file"], "tests/data/cross/rbac.yaml");
    assert_eq!(admin["labels"][0]["line"], 14);
}

#[test]
fn the_daemonset_file_alone_has_no_cross_object_findings() {
    let report = daemonlint::Linter::new(&Settings::default())
        .report(&daemonlint::Inputs::paths(&[data("agent.yaml")]));
    let rules: Vec<&str> = report.active().map(|(_, d)| d.rule.as_ref()).collect();
    for rule in [
        "pod-security-admission",
        "missing-service-account",
        "cluster-admin-binding",
        "missing-config-reference",
    ] {
        assert!(!rules.contains(&rule), "{rule} fired on a single file");
    }
}

#[test]
fn namespaces_given_as_an_extra_file_are_used() {
    let report = daemonlint::Linter::new(&Settings::default()).report(&daemonlint::Inputs {
        paths: vec![data("agent.yaml")],
        shared: vec![data("namespace.yaml")],
        ..daemonlint::Inputs::default()
    });
    let admission: Vec<String> = report
        .active()
        .filter(|(_, d)| d.rule == "pod-security-admission")
        .map(|(_, d)| format!("{} {}", d.severity, d.message))
        .collect();
    assert_eq!(admission.len(), 2, "{admission:?}");
    assert!(admission[0].starts_with("error this DaemonSet's pods will be rejected in namespace logging (enforce: baseline): privileged container `agent`, hostPath volume `varlog`"));
    assert!(admission[1].starts_with("warning "));
}

fn admission(text: &str, settings: &Settings) -> Vec<String> {
    let report = daemonlint::Linter::new(settings).check_source(
        daemonlint::source::SourceFile::new("ns.yaml", text.to_string()),
        None,
    );
    report
        .diagnostics
        .iter()
        .filter(|d| d.rule == "pod-security-admission")
        .map(|d| format!("{} {}", d.severity, d.message))
        .collect()
}

const DS: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: a, namespace: apps}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      hostNetwork: true
      containers: [{name: a, image: a:1}]
";

fn with_namespace(labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels: {{{labels}}}\n---\n{DS}")
}

#[test]
fn namespace_label_combinations() {
    let s = Settings::default();
    // enforce (Host Namespaces is a baseline control)
    let found = admission(
        &with_namespace("pod-security.kubernetes.io/enforce: baseline"),
        &s,
    );
    assert_eq!(found, vec!["error this DaemonSet's pods will be rejected in namespace apps (enforce: baseline): `hostNetwork: true`"]);
    // enforce restricted also fails the restricted controls
    let found = admission(&with_namespace("pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.30"), &s);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("(enforce: restricted): `hostNetwork: true`, container `a` does not set `allowPrivilegeEscalation: false`"), "{found:?}");
    // warn and audit are warnings
    let found = admission(
        &with_namespace(
            "pod-security.kubernetes.io/warn: baseline, pod-security.kubernetes.io/audit: baseline",
        ),
        &s,
    );
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|f| f.starts_with("warning ")), "{found:?}");
    // privileged admits everything
    assert!(admission(
        &with_namespace("pod-security.kubernetes.io/enforce: privileged"),
        &s
    )
    .is_empty());
    // an unknown level is ignored (the API server would reject the label)
    assert!(admission(
        &with_namespace("pod-security.kubernetes.io/enforce: strict"),
        &s
    )
    .is_empty());
    // unlabeled: the cluster default, privileged unless configured
    assert!(admission(&with_namespace("team: a"), &s).is_empty());
    let mut baseline = Settings::default();
    baseline.options.pod_security_default_level = Level::Baseline;
    let found = admission(&with_namespace("team: a"), &baseline);
    assert_eq!(found, vec!["error this DaemonSet's pods will be rejected in namespace apps (enforce: baseline): `hostNetwork: true`"]);
    // a namespace outside the linted set: only a configured default applies
    assert!(admission(DS, &s).is_empty());
    assert_eq!(admission(DS, &baseline).len(), 1);
}

#[test]
fn the_default_level_is_read_from_the_config_file() {
    let dir = std::env::temp_dir().join(format!("daemonlint-psa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".daemonlint.yaml"),
        "rules:\n  pod-security-admission:\n    default-level: restricted\n",
    )
    .unwrap();
    std::fs::write(dir.join("ds.yaml"), with_namespace("team: a")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_daemonlint"))
        .args(["check", "--format", "concise", "--no-summary"])
        .arg(dir.join("ds.yaml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("error[pod-security-admission] this DaemonSet's pods will be rejected in namespace apps (enforce: restricted)"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn suppressions_silence_run_level_findings() {
    let text = with_namespace("pod-security.kubernetes.io/enforce: baseline").replace(
        "metadata: {name: a, namespace: apps}",
        "metadata:\n  name: a\n  namespace: apps\n  annotations:\n    daemonlint.io/ignore: \"pod-security-admission: runs in a privileged namespace in production\"",
    );
    let report = daemonlint::Linter::new(&Settings::default())
        .check_source(daemonlint::source::SourceFile::new("ns.yaml", text), None);
    let psa: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule == "pod-security-admission")
        .collect();
    assert_eq!(psa.len(), 1);
    assert!(psa[0].suppressed.is_some());
    assert!(!report
        .diagnostics
        .iter()
        .any(|d| d.rule == "unused-suppression"));
}

fn inventory(format: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_daemonlint"))
        .args([
            "inventory",
            "--isolated",
            "--format",
            format,
            "tests/data/cross",
            "fixtures/pss-restricted-capabilities/pass-drop-all.yaml",
            "fixtures/sensitive-host-path",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn inventory_formats() {
    for format in ["text", "json", "csv", "markdown"] {
        insta::assert_snapshot!(format!("inventory_{format}"), inventory(format));
    }
}

/// The run-level findings of `tests/data/scope` (two unrelated vendors' folders) under a scope,
/// as `file:line rule`.
fn scoped(scope: daemonlint::config::CrossScope) -> Vec<String> {
    let mut settings = Settings::default();
    settings.cross_scope = scope;
    let report =
        daemonlint::Linter::new(&settings).report(&daemonlint::Inputs::paths(&[PathBuf::from(
            "tests/data/scope",
        )]));
    report
        .active()
        .filter(|(_, d)| {
            daemonlint::rules::is_run_level(&d.rule) || d.rule == "missing-priority-class"
        })
        .map(|(f, d)| {
            let at = f.source.line_col(d.span.start);
            format!("{}:{} {}", f.source.name, at.line, d.rule)
        })
        .collect()
}

#[test]
fn by_default_unrelated_directories_do_not_see_each_others_objects() {
    use daemonlint::config::CrossScope;
    assert_eq!(CrossScope::default(), CrossScope::Directory);
    // Vendor A's DaemonSet is compared with nothing of vendor B's: its ServiceAccount,
    // ConfigMap and binding are not looked up there, and B's PriorityClass does not count.
    // Vendor B's DaemonSet is still compared with the objects of its own directory.
    assert_eq!(
        scoped(CrossScope::Directory),
        [
            "tests/data/scope/vendor-a/agent.yaml:14 missing-priority-class",
            "tests/data/scope/vendor-b/agent.yaml:13 missing-service-account",
        ]
    );
}

#[test]
fn the_run_scope_pools_every_file() {
    assert_eq!(
        scoped(daemonlint::config::CrossScope::Run),
        [
            "tests/data/scope/vendor-a/agent.yaml:13 missing-service-account",
            "tests/data/scope/vendor-a/agent.yaml:13 cluster-admin-binding",
            "tests/data/scope/vendor-a/agent.yaml:22 missing-config-reference",
            "tests/data/scope/vendor-b/agent.yaml:13 missing-service-account",
        ]
    );
}

#[test]
fn the_file_scope_compares_a_daemonset_with_its_own_file() {
    assert_eq!(
        scoped(daemonlint::config::CrossScope::File),
        [
            "tests/data/scope/vendor-a/agent.yaml:14 missing-priority-class",
            "tests/data/scope/vendor-b/agent.yaml:14 missing-priority-class",
        ]
    );
}

#[test]
fn a_priority_class_defined_beside_the_daemonset_is_accepted() {
    let text = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: agents}\nvalue: 1000000\n---\n";
    let ds = std::fs::read_to_string("tests/data/scope/vendor-b/agent.yaml").unwrap();
    let lint = |text: String| -> Vec<String> {
        daemonlint::Linter::new(&Settings::default())
            .check_source(daemonlint::source::SourceFile::new("x.yaml", text), None)
            .diagnostics
            .iter()
            .filter(|d| d.rule == "missing-priority-class")
            .map(|d| d.message.clone())
            .collect()
    };
    let named = ds.replace("platform-critical", "agents");
    assert_eq!(lint(format!("{text}{named}")), Vec::<String>::new());
    let other = lint(format!(
        "{text}{}",
        ds.replace("platform-critical", "agent")
    ));
    assert_eq!(other.len(), 1, "{other:?}");
    assert!(other[0].starts_with("priorityClassName `agent` is neither built in"));
    // A built-in class left out of the configured list is still reported as such.
    let mut settings = Settings::default();
    settings.options.priority_classes = vec!["agents".into()];
    let builtin = ds.replace("platform-critical", "system-cluster-critical");
    let report = daemonlint::Linter::new(&settings)
        .check_source(daemonlint::source::SourceFile::new("x.yaml", builtin), None);
    let found: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule == "missing-priority-class")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(found.len(), 1);
    assert!(
        found[0].contains("is not one of the node-critical classes (`agents`)"),
        "{found:?}"
    );
}

#[test]
fn cross_scope_and_cross_sets_are_read_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (from, to) in [
        ("vendor-a/agent.yaml", "a/agent.yaml"),
        ("vendor-b/agent.yaml", "b/agent.yaml"),
        ("vendor-b/objects.yaml", "shared/objects.yaml"),
    ] {
        std::fs::create_dir_all(root.join(to).parent().unwrap()).unwrap();
        std::fs::copy(PathBuf::from("tests/data/scope").join(from), root.join(to)).unwrap();
    }
    let run = |config: &str| -> String {
        std::fs::write(root.join(".daemonlint.yaml"), config).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_daemonlint"))
            .current_dir(root)
            .args([
                "check",
                "--format",
                "concise",
                "--no-summary",
                "--select",
                "missing-service-account,missing-priority-class",
                ".",
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    // Directory scope: neither DaemonSet sees `shared/`.
    let lines = run("cross-scope: directory\n");
    assert!(
        lines.contains("a/agent.yaml:14:26: info[missing-priority-class]"),
        "{lines}"
    );
    assert!(
        lines.contains("b/agent.yaml:14:26: info[missing-priority-class]"),
        "{lines}"
    );
    assert!(!lines.contains("missing-service-account"), "{lines}");
    // A named set puts `b/` and `shared/` together; `a/` stays in its own directory.
    let lines = run("cross-sets:\n  - name: vendor-b\n    files: [b/*, shared/*]\n");
    assert!(
        lines.contains("a/agent.yaml:14:26: info[missing-priority-class]"),
        "{lines}"
    );
    assert!(!lines.contains("b/agent.yaml:14"), "{lines}");
    assert!(
        lines.contains("b/agent.yaml:13:27: info[missing-service-account]"),
        "{lines}"
    );
    // An unknown scope is a configuration error that points at the value.
    std::fs::write(root.join(".daemonlint.yaml"), "cross-scope: everything\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_daemonlint"))
        .current_dir(root)
        .args(["check", "--format", "concise", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(".daemonlint.yaml:1:14: error[invalid-config]"),
        "{text}"
    );
}

/// A patch (no selector, no pod labels) leaves what it does not set to its base: in a namespace
/// that enforces `restricted`, it is judged on what it sets (`hostNetwork`), not on the
/// `runAsNonRoot`, seccomp profile and dropped capabilities its base may well set.
#[test]
fn a_patch_is_admitted_or_rejected_for_what_it_sets() {
    let s = Settings::default();
    let patch = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: a, namespace: apps}
spec:
  template:
    spec:
      containers: [{name: a, image: a:2}]
";
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n---\n";
    assert_eq!(
        admission(&format!("{namespace}{patch}"), &s),
        Vec::<String>::new()
    );
    let sets = patch.replace("    spec:\n", "    spec:\n      hostNetwork: true\n");
    let found = admission(&format!("{namespace}{sets}"), &s);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("error this DaemonSet's pods will be rejected in namespace apps (enforce: restricted): `hostNetwork: true`"),
        "{found:?}"
    );
    // The whole object lacks what the patch may leave to its base: rejected for that too.
    let whole = admission(
        &with_namespace("pod-security.kubernetes.io/enforce: restricted"),
        &s,
    );
    assert!(
        whole[0].contains("does not set `runAsNonRoot: true`"),
        "{whole:?}"
    );
}
