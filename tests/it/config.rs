#![allow(clippy::unwrap_used)]
//! Configuration precedence, discovery, suppression and the failure threshold, end to end.

use std::path::Path;

use assert_cmd::Command;

const DS: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluent-bit
spec:
  selector:
    matchLabels: {app: fluent-bit}
  template:
    metadata:
      labels: {app: fluent-bit}
    spec:
      hostPID: true
      tolerations: [{operator: Exists}]
      containers:
        - name: agent
          image: registry.example.com/fluent-bit:3.0.0
          resources:
            requests: {cpu: 50m, memory: 64Mi}
            limits: {memory: 128Mi}
          volumeMounts:
            - {name: varlog, mountPath: /var/log}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
          livenessProbe: {httpGet: {path: /healthz, port: 2020}}
      volumes:
        - name: varlog
          hostPath: {path: /var/log}
      priorityClassName: system-node-critical
";

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Run `daemonlint check --format json ARGS` in `dir`; returns (exit code, "rule:severity" list).
fn check(dir: &Path, args: &[&str]) -> (i32, Vec<String>) {
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["rule"].as_str().unwrap(),
                d["severity"].as_str().unwrap()
            )
        })
        .collect();
    (out.status.code().unwrap(), found)
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deploy/agent.yaml", DS);
    dir
}

const DEFAULT_FINDINGS: [&str; 3] = [
    "host-pid:warning",
    "missing-resource-limits:warning",
    "writable-host-path:warning",
];

#[test]
fn defaults_without_a_config_file() {
    let dir = project();
    assert_eq!(
        check(dir.path(), &["deploy"]),
        (1, DEFAULT_FINDINGS.map(String::from).to_vec())
    );
}

#[test]
fn config_file_found_by_walking_up_from_the_file() {
    let dir = project();
    write(
        dir.path(),
        ".daemonlint.yaml",
        "ignore: [host-pid]\nseverity:\n  writable-host-path: info\n",
    );
    let (code, found) = check(&dir.path().join("deploy"), &["agent.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec!["missing-resource-limits:warning", "writable-host-path:info"]
    );
}

#[test]
fn the_nearest_config_file_wins_and_yml_is_accepted() {
    let dir = project();
    write(dir.path(), ".daemonlint.yaml", "ignore: [host-pid]\n");
    write(
        dir.path(),
        "deploy/.daemonlint.yml",
        "ignore: [writable-host-path]\n",
    );
    let (_, found) = check(dir.path(), &["deploy"]);
    assert_eq!(
        found,
        vec!["host-pid:warning", "missing-resource-limits:warning"]
    );
}

#[test]
fn precedence_defaults_file_explicit_config_flags() {
    let dir = project();
    write(
        dir.path(),
        ".daemonlint.yaml",
        "severity:\n  host-pid: info\n",
    );
    write(dir.path(), "strict.yaml", "severity:\n  host-pid: error\n");
    // The discovered file over the defaults.
    assert!(check(dir.path(), &["deploy"])
        .1
        .contains(&"host-pid:info".to_string()));
    // --config over the discovered file.
    assert!(check(dir.path(), &["--config", "strict.yaml", "deploy"])
        .1
        .contains(&"host-pid:error".to_string()));
    // Flags over --config.
    let (_, found) = check(
        dir.path(),
        &[
            "--config",
            "strict.yaml",
            "--severity",
            "host-pid=warning",
            "deploy",
        ],
    );
    assert!(found.contains(&"host-pid:warning".to_string()), "{found:?}");
    // --isolated ignores every file.
    let (_, found) = check(
        dir.path(),
        &["--isolated", "--config", "strict.yaml", "deploy"],
    );
    assert_eq!(found, DEFAULT_FINDINGS.map(String::from).to_vec());
}

#[test]
fn select_ignore_and_categories_from_the_command_line() {
    let dir = project();
    // Selecting a category selects all of it, rules off by default included (the `pss-*`
    // rules are security rules).
    let (_, found) = check(dir.path(), &["--select", "security", "deploy"]);
    assert_eq!(
        found,
        vec![
            "host-pid:warning",
            "pss-baseline-host-namespaces:warning",
            "writable-host-path:warning",
            "run-as-root:warning",
            "pss-restricted-run-as-non-root:warning",
            "pss-restricted-seccomp:warning",
            "pss-restricted-capabilities:warning",
            "pss-baseline-host-path-volumes:warning",
            "pss-restricted-volume-types:warning"
        ]
    );
    let (_, found) = check(dir.path(), &["--ignore", "security,resources", "deploy"]);
    assert!(found.is_empty());
    let (code, found) = check(
        dir.path(),
        &[
            "--severity",
            "host-pid=off",
            "--select",
            "host-pid",
            "deploy",
        ],
    );
    assert_eq!((code, found.len()), (0, 0));
}

#[test]
fn per_rule_options_from_the_file() {
    let dir = project();
    write(
        dir.path(),
        ".daemonlint.yaml",
        "rules:\n  missing-resource-limits:\n    cpu: false\n  sensitive-host-path:\n    allow:\n      - daemonsets: [fluent-*]\n        paths: [/var/log]\n        read-only: false\n",
    );
    let (_, found) = check(dir.path(), &["deploy"]);
    assert_eq!(found, vec!["host-pid:warning"]);
}

#[test]
fn per_path_overrides() {
    let dir = project();
    write(dir.path(), "legacy/old.yaml", DS);
    write(
        dir.path(),
        ".daemonlint.yaml",
        "overrides:\n  - files: [\"legacy/**\"]\n    ignore: [host-pid]\n    severity: {writable-host-path: error}\n",
    );
    let (_, found) = check(dir.path(), &["legacy", "deploy"]);
    assert_eq!(
        found,
        vec![
            "host-pid:warning",
            "missing-resource-limits:warning",
            "writable-host-path:warning",
            "missing-resource-limits:warning",
            "writable-host-path:error",
        ]
    );
}

#[test]
fn excludes_apply_to_walks_and_with_force_exclude_to_named_files() {
    let dir = project();
    write(dir.path(), "vendor/chart.yaml", DS);
    write(dir.path(), ".daemonlint.yaml", "exclude: [vendor]\n");
    assert_eq!(
        check(dir.path(), &["."]).1.len(),
        3,
        "vendor/ skipped in the walk"
    );
    assert_eq!(
        check(dir.path(), &["vendor/chart.yaml"]).1.len(),
        3,
        "named files are linted"
    );
    assert_eq!(
        check(dir.path(), &["--force-exclude", "vendor/chart.yaml"]),
        (0, vec![])
    );
    assert_eq!(
        check(dir.path(), &["--exclude", "deploy", "."]).1.len(),
        0,
        "--exclude adds to the file's"
    );
}

#[test]
fn include_globs_choose_what_walks_pick_up() {
    let dir = project();
    write(dir.path(), "golden/agent.golden", DS);
    write(dir.path(), ".daemonlint.yaml", "include: [\"*.golden\"]\n");
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--format", "concise", "."])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("golden/agent.golden:12:16: warning[host-pid]"),
        "{text}"
    );
    assert!(!text.contains("deploy/agent.yaml"), "{text}");
}

#[test]
fn failure_threshold_from_file_and_flags() {
    let dir = project();
    write(dir.path(), ".daemonlint.yaml", "fail-on: error\n");
    assert_eq!(check(dir.path(), &["deploy"]).0, 0);
    assert_eq!(check(dir.path(), &["--fail-on", "warning", "deploy"]).0, 1);
    assert_eq!(
        check(
            dir.path(),
            &[
                "--fail-on",
                "info",
                "--severity",
                "host-pid=info",
                "--ignore",
                "resources,writable-host-path",
                "deploy"
            ]
        )
        .0,
        1
    );
    assert_eq!(
        check(
            dir.path(),
            &[
                "--fail-on",
                "warning",
                "--severity",
                "host-pid=info",
                "--ignore",
                "resources,writable-host-path",
                "deploy"
            ]
        )
        .0,
        0
    );
    assert_eq!(
        check(
            dir.path(),
            &[
                "--fail-on",
                "never",
                "--severity",
                "host-pid=error",
                "deploy"
            ]
        )
        .0,
        0
    );
}

#[test]
fn stdin_filename_picks_the_config_for_that_path() {
    let dir = project();
    write(
        dir.path(),
        "deploy/.daemonlint.yaml",
        "ignore: [host-pid, resources]\n",
    );
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "check",
            "--format",
            "concise",
            "--no-summary",
            "--stdin-filename",
            "deploy/new.yaml",
            "-",
        ])
        .write_stdin(DS)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("deploy/new.yaml:21:15: warning[writable-host-path]"),
        "{text}"
    );
}

#[test]
fn config_errors_point_into_the_file_and_exit_2() {
    let dir = project();
    write(dir.path(), ".daemonlint.yaml", "ignore:\n  - host-pdi\n");
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--format", "concise", "deploy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(".daemonlint.yaml:2:5: error[invalid-config] unknown rule or category `host-pdi` (did you mean `host-pid`?)"),
        "{text}"
    );
    // Bad flags are usage errors.
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--severity", "host-pid=loud", "deploy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("off, info, warning or error"));
}

#[test]
fn config_command_shows_resolved_settings() {
    let dir = project();
    write(
        dir.path(),
        ".daemonlint.yaml",
        "ignore: [host-pid]\nrules:\n  aggressive-max-unavailable:\n    max-percent: 10\n",
    );
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["config", "deploy/agent.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["settings"]["options"]["max_unavailable_percent"], 10);
    let rules = json["rules"].as_array().unwrap();
    let sev = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["severity"].clone();
    assert_eq!(sev("host-pid"), "off");
    assert_eq!(sev("host-network"), "warning");
    assert!(json["settings"]["config_files"][0]
        .as_str()
        .unwrap()
        .ends_with(".daemonlint.yaml"));
}

#[test]
fn suppressed_findings_are_counted_and_shown_on_request() {
    let dir = project();
    let suppressed = DS.replace(
        "      hostPID: true\n",
        "      hostPID: true  # daemonlint: ignore[host-pid] traces host processes\n",
    );
    write(dir.path(), "deploy/agent.yaml", &suppressed);
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "deploy"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["suppressed"], 1);
    assert_eq!(json["summary"]["findings"], 2);
    assert!(json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["rule"] != "host-pid"));
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "--show-suppressed", "deploy"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "host-pid")
        .cloned()
        .unwrap();
    assert_eq!(shown["suppressed"]["kind"], "comment");
    assert_eq!(shown["suppressed"]["reason"], "traces host processes");
    assert_eq!(
        json["summary"]["findings"], 2,
        "suppressed findings do not count"
    );
}

#[test]
fn unused_suppressions_are_not_reported_for_rules_that_are_off() {
    let dir = project();
    let text = DS.replace(
        "      tolerations:",
        "      # daemonlint: ignore[host-network] old exception\n      tolerations:",
    );
    write(dir.path(), "deploy/agent.yaml", &text);
    assert!(check(dir.path(), &["deploy"])
        .1
        .contains(&"unused-suppression:warning".to_string()));
    assert!(!check(dir.path(), &["--ignore", "host-network", "deploy"])
        .1
        .contains(&"unused-suppression:warning".to_string()));
}
