//! The command line on charts and kustomizations (issues 19 and 20 wired into `check`): the
//! input stage renders them with the real helm and kubectl (`scripts/install-k8s-tools`), the
//! findings land on the lines the user edits, the files a rendering lints are not linted again
//! as plain YAML, and a missing tool is exit 2 with the other inputs still linted.
#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::common;

/// The directory with the real helm and kubectl (see `common::k8s_tools`).
fn tools() -> Option<PathBuf> {
    crate::common::k8s_tools()
}

fn daemonlint(bin: &Path) -> Command {
    let mut cmd = Command::cargo_bin("daemonlint").expect("binary");
    cmd.current_dir(common::root())
        .env_remove("NO_COLOR")
        .arg("check")
        .arg("--no-summary")
        .arg("--helm")
        .arg(bin.join("helm"))
        .arg("--kubectl")
        .arg(bin.join("kubectl"));
    cmd
}

/// `(rule, file, line, mapping)` of a finding.
type Row = (String, String, u64, String);

/// The rows of every finding of a JSON run, the findings, and the exit code.
fn run_json(cmd: &mut Command) -> (Vec<Row>, Vec<Value>, i32) {
    let out = cmd.arg("--format").arg("json").output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let all = json["diagnostics"].as_array().unwrap().clone();
    let rows = all
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["mapping"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    (rows, all, out.status.code().unwrap())
}

fn row(rule: &str, file: &str, line: u64, mapping: &str) -> Row {
    (rule.into(), file.into(), line, mapping.into())
}

const CHART: &str = "../shared/charts/fluent-bit";
const VALUES: &str = "../shared/charts/values/fluent-bit-hostnetwork-privileged.yaml";

fn shared_chart() -> bool {
    let ok = common::root().join(CHART).join("Chart.yaml").is_file();
    if !ok {
        eprintln!("SKIPPED: ../shared/charts is absent (CI always has it)");
    }
    ok
}

#[test]
fn a_chart_with_user_values_reports_on_the_values_and_template_lines() {
    let Some(bin) = tools() else { return };
    if !shared_chart() {
        return;
    }
    let (rows, all, code) = run_json(daemonlint(&bin).args([CHART, "--values", VALUES]));
    let v = "../shared/charts/fluent-bit/values.yaml";
    assert_eq!(
        rows,
        vec![
            row("missing-resource-requests", v, 212, "exact"),
            row("missing-resource-limits", v, 212, "exact"),
            row("missing-control-plane-toleration", v, 301, "exact"),
            row("missing-priority-class", v, 321, "line"),
            row("sensitive-host-path", v, 482, "exact"),
            row("writable-host-path", v, 489, "line"),
            row("host-network", VALUES, 2, "exact"),
            row("privileged-container", VALUES, 5, "exact"),
            row(
                "writable-root-filesystem",
                "../shared/charts/fluent-bit/templates/_pod.tpl",
                41,
                "exact"
            ),
        ]
    );
    assert_eq!(code, 1);
    let privileged = &all[7];
    assert_eq!(
        privileged["labels"][0]["file"],
        "../shared/charts/fluent-bit/templates/_pod.tpl"
    );
    assert_eq!(privileged["labels"][0]["line"], 42);
    assert_eq!(privileged["rendered"]["kind"], "helm");
    assert_eq!(privileged["rendered"]["entry"], CHART);
    assert_eq!(
        privileged["rendered"]["command"],
        serde_json::json!(["helm", "template", "release", CHART, "--values", VALUES])
    );
    // Where in `helm template`'s output the finding was made: the sixth document, from
    // templates/daemonset.yaml, line 182 of the output (`privileged: true`).
    assert_eq!(
        privileged["rendered"]["template"],
        "fluent-bit/templates/daemonset.yaml"
    );
    assert_eq!(privileged["rendered"]["document"], 5);
    assert_eq!(privileged["rendered"]["line"], 182);
}

#[test]
fn chart_files_named_alone_lint_their_chart_once() {
    let Some(bin) = tools() else { return };
    if !shared_chart() {
        return;
    }
    let (whole, _, code) = run_json(daemonlint(&bin).arg(CHART));
    assert_eq!(code, 1);
    let (files, _, code) = run_json(daemonlint(&bin).args([
        "../shared/charts/fluent-bit/values.yaml",
        "../shared/charts/fluent-bit/templates/daemonset.yaml",
        "../shared/charts/fluent-bit/templates/_pod.tpl",
    ]));
    assert_eq!(code, 1);
    assert_eq!(files, whole, "the same findings as the chart, once");
    assert!(!whole.is_empty());
    assert!(
        whole.iter().all(|r| r.0 != "yaml-syntax" && r.3 != "-"),
        "no plain-YAML finding on a chart file: {whole:?}"
    );
}

#[test]
fn the_issue_20_layout_reports_the_patch_line_and_nothing_on_the_patch_alone() {
    let Some(bin) = tools() else { return };
    let (rows, all, code) = run_json(daemonlint(&bin).arg("tests/data/kustomize/repro"));
    assert_eq!(
        rows,
        vec![
            row(
                "privilege-escalation",
                "tests/data/kustomize/repro/base/ds.yaml",
                38,
                "exact"
            ),
            row(
                "privileged-container",
                "tests/data/kustomize/repro/overlays/prod/patch.yaml",
                11,
                "exact"
            ),
        ]
    );
    assert_eq!(code, 1);
    assert_eq!(all[1]["rendered"]["kind"], "kustomize");
    assert_eq!(
        all[1]["rendered"]["entry"],
        "tests/data/kustomize/repro/overlays/prod"
    );
    // The whole tree walked: the patch and the base are linted only through the overlay.
    let (tree, _, _) = run_json(daemonlint(&bin).arg("tests/data/kustomize"));
    assert!(
        tree.iter().all(|r| r.3 != "-" || r.0 == "io-error"),
        "a file a kustomization uses linted as plain YAML: {tree:?}"
    );
    assert!(tree.contains(&rows[1]));
    // The patch named alone (what pre-commit passes): linted through its overlay.
    let (alone, _, code) =
        run_json(daemonlint(&bin).arg("tests/data/kustomize/repro/overlays/prod/patch.yaml"));
    assert_eq!(code, 1);
    assert_eq!(alone, rows);
}

#[test]
fn a_missing_helm_is_exit_2_and_the_other_inputs_are_linted() {
    if !shared_chart() {
        return;
    }
    let privileged = "fixtures/privileged-container/fail-privileged.yaml";
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(common::root())
        .args(["check", "--no-summary", "--helm", "/nonexistent/helm"])
        .args(["--format", "concise"])
        .args([CHART, privileged])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("install helm v3") && stderr.contains("--helm PATH"),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!(
            "{CHART}:1:1: error[io-error] cannot render: helm is needed"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{privileged}:")) && stdout.contains("[privileged-container]"),
        "the other input is linted: {stdout}"
    );
}

#[test]
fn a_suppression_comment_in_a_values_file_silences_the_finding_mapped_there() {
    let Some(bin) = tools() else { return };
    if !shared_chart() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "hostNetwork: true  # daemonlint: ignore[host-network] the agent serves node metrics\n\
         securityContext:\n  privileged: true\n",
    )
    .unwrap();
    let (rows, _, code) = run_json(daemonlint(&bin).arg(CHART).arg("--values").arg(&values));
    assert_eq!(code, 1);
    let file = values.display().to_string();
    assert!(!rows.iter().any(|r| r.0 == "host-network"), "{rows:?}");
    assert!(
        rows.contains(&row("privileged-container", &file, 3, "exact")),
        "{rows:?}"
    );
    let (shown, all, _) = run_json(
        daemonlint(&bin)
            .arg(CHART)
            .arg("--values")
            .arg(&values)
            .arg("--show-suppressed"),
    );
    let at = shown.iter().position(|r| r.0 == "host-network").unwrap();
    assert_eq!(shown[at], row("host-network", &file, 1, "exact"));
    assert_eq!(all[at]["suppressed"]["kind"], "comment");
}

#[test]
fn a_base_finding_of_two_overlays_is_reported_once_naming_them() {
    let Some(bin) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, text: &str| {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("base/kustomization.yaml", "resources:\n  - ds.yaml\n");
    write(
        "base/ds.yaml",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector:\n    \
         matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    \
         spec:\n      hostPID: true\n      containers:\n        - name: agent\n          \
         image: agent:1.0\n",
    );
    for overlay in ["a", "b"] {
        write(
            &format!("overlays/{overlay}/kustomization.yaml"),
            &format!("resources:\n  - ../../base\nnamespace: {overlay}\n"),
        );
    }
    let mut cmd = daemonlint(&bin);
    cmd.current_dir(root).arg(".");
    let (rows, all, code) = run_json(&mut cmd);
    assert_eq!(code, 1);
    let host_pid: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].0 == "host-pid")
        .collect();
    assert_eq!(host_pid.len(), 1, "{rows:?}");
    let d = &all[host_pid[0]];
    assert_eq!(d["file"], "base/ds.yaml");
    assert_eq!(d["line"], 12);
    assert_eq!(
        d["rendered"]["renderings"],
        serde_json::json!(["overlays/a", "overlays/b"])
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .ends_with("(in 2 renderings: overlays/a, overlays/b)"),
        "{d}"
    );
}

#[test]
fn value_sets_of_the_config_render_each_and_report_a_shared_finding_once() {
    let Some(bin) = tools() else { return };
    if !shared_chart() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let chart = common::root().join(CHART).canonicalize().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "hostNetwork: true\n").unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "securityContext:\n  privileged: true\n",
    )
    .unwrap();
    let config = dir.path().join("daemonlint.yaml");
    std::fs::write(
        &config,
        format!(
            "helm:\n  release: rel\n  value-sets:\n    {}:\n      hostnet: [a.yaml]\n      privileged: [b.yaml]\n",
            chart.display()
        ),
    )
    .unwrap();
    let (rows, all, code) = run_json(daemonlint(&bin).arg("--config").arg(&config).arg(CHART));
    assert_eq!(code, 1);
    let a = dir.path().join("a.yaml").display().to_string();
    let b = dir.path().join("b.yaml").display().to_string();
    assert!(
        rows.contains(&row("host-network", &a, 1, "exact")),
        "{rows:?}"
    );
    assert!(
        rows.contains(&row("privileged-container", &b, 2, "exact")),
        "{rows:?}"
    );
    // The chart's own defaults: in both renderings, reported once.
    let v = "../shared/charts/fluent-bit/values.yaml";
    let limits: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i] == row("missing-resource-limits", v, 212, "exact"))
        .collect();
    assert_eq!(limits.len(), 1, "{rows:?}");
    let d = &all[limits[0]];
    assert_eq!(
        d["rendered"]["renderings"],
        serde_json::json!([
            format!("{CHART} [hostnet]"),
            format!("{CHART} [privileged]")
        ])
    );
    assert_eq!(d["rendered"]["release"], "rel");
}

#[test]
fn render_keys_of_the_config_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("daemonlint.yaml");
    std::fs::write(
        &config,
        "helm:\n  timeout: 0\nkustomize:\n  path: kubectl\n  timout: 5\n",
    )
    .unwrap();
    let out = Command::cargo_bin("daemonlint")
        .unwrap()
        .current_dir(common::root())
        .args(["check", "--no-summary", "--format", "concise", "--config"])
        .arg(&config)
        .arg("fixtures/privileged-container/fail-privileged.yaml")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("[invalid-config]"), "{stdout}");
    assert!(
        stdout.contains("timout"),
        "the unknown key is named: {stdout}"
    );
}

/// Copy a directory tree (the test layouts are small).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn fix_edits_a_patch_through_an_exact_mapping_and_reports_the_overlay_built_again() {
    let Some(bin) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &common::root().join("tests/data/kustomize/features"),
        &dir.path().join("features"),
    );
    let patch = dir.path().join("features/overlays/staging/json-patch.yaml");
    let before = std::fs::read_to_string(&patch).unwrap();
    assert!(before.contains("  value: 100%\n"), "{before}");
    let mut cmd = daemonlint(&bin);
    cmd.current_dir(dir.path())
        .args(["--fix", "--unsafe-fixes", "features"]);
    let (rows, _, code) = run_json(&mut cmd);
    assert_eq!(code, 1);
    let after = std::fs::read_to_string(&patch).unwrap();
    assert_eq!(after, before.replace("  value: 100%\n", "  value: 1\n"));
    // Reported from the overlay built after the fix: the fixed finding is gone.
    assert!(
        !rows.iter().any(|r| r.0 == "aggressive-max-unavailable"),
        "{rows:?}"
    );
    assert!(rows.contains(&row(
        "privileged-container",
        "features/overlays/staging/sm-patch.yaml",
        14,
        "exact"
    )));
}

/// The value sets of one chart are alternative deployments: the run-level checks never compare
/// one set's objects with another's, and a run-level finding the sets share is reported once,
/// naming them.
#[test]
fn value_sets_are_alternatives_for_the_run_level_checks() {
    let Some(bin) = tools() else { return };
    let dir = tempfile::Builder::new().prefix("sets").tempdir().unwrap();
    let chart = dir.path().join("agent");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: agent\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("values.yaml"),
        "image: a:1\nsa: agent\naccount: other\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/ds.yaml"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Values.account }}\n---\n\
         apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector:\n    \
         matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    \
         spec:\n      serviceAccountName: {{ .Values.sa }}\n      containers:\n        - name: agent\n          \
         image: {{ .Values.image }}\n",
    )
    .unwrap();
    // `one` defines the ServiceAccount `agent` uses; `two` and `three` do not.
    std::fs::write(dir.path().join("one.yaml"), "account: agent\n").unwrap();
    std::fs::write(dir.path().join("two.yaml"), "image: a:2\n").unwrap();
    std::fs::write(dir.path().join("three.yaml"), "image: a:3\n").unwrap();
    std::fs::write(
        dir.path().join(".daemonlint.yaml"),
        "helm:\n  value-sets:\n    agent:\n      one: [one.yaml]\n      two: [two.yaml]\n      three: [three.yaml]\n",
    )
    .unwrap();
    let mut cmd = daemonlint(&bin);
    cmd.current_dir(dir.path()).arg("agent");
    let (rows, all, _) = run_json(&mut cmd);
    let missing: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].0 == "missing-service-account")
        .collect();
    // Once, on the values line, for the two sets that lack it; `one` does not lend them its
    // ServiceAccount.
    assert_eq!(missing.len(), 1, "{rows:?}");
    assert_eq!(
        rows[missing[0]],
        row("missing-service-account", "agent/values.yaml", 2, "exact")
    );
    let d = &all[missing[0]];
    assert_eq!(
        d["rendered"]["renderings"],
        // Value sets come sorted by name.
        serde_json::json!(["agent [three]", "agent [two]"]),
        "{d:#}"
    );
    // Each set's own objects only: `other` once, not once per rendering.
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("(`other`)"), "{message}");
}
