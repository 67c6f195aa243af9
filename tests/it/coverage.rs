#![allow(clippy::unwrap_used)]
//! `daemonlint coverage` and `check --nodes` end to end, against the node lists under
//! `tests/data/nodes/` and the DaemonSets under `tests/data/coverage/`.

use crate::common;

use assert_cmd::Command;

const CLUSTER: &str = "tests/data/nodes/cluster.yaml";
const DAEMONSETS: &str = "tests/data/coverage/";

fn daemonlint() -> Command {
    let mut cmd = Command::cargo_bin("daemonlint").expect("binary");
    cmd.current_dir(common::root());
    cmd
}

/// Run and return (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = daemonlint().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn text_tables_for_a_mixed_cluster() {
    let (code, stdout, stderr) = run(&["coverage", "--nodes", CLUSTER, DAEMONSETS]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    insta::assert_snapshot!("coverage_mixed_cluster", stdout);
}

#[test]
fn json_for_a_mixed_cluster() {
    let (code, stdout, stderr) = run(&[
        "coverage", "--format", "json", "--nodes", CLUSTER, DAEMONSETS,
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(value["version"], 1);
    assert_eq!(value["nodes"]["count"], 10);
    let exporter = value["daemonsets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "node-exporter")
        .expect("node-exporter");
    assert_eq!(exporter["runs_on"], 4);
    assert_eq!(exporter["desired"], 4);
    assert_eq!(
        exporter["nodes"][0],
        serde_json::json!({
            "name": "cp-1",
            "runs": false,
            "outcome": "skipped",
            "reason": "taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated",
            "keeps_running": true,
            "notes": [],
        })
    );
    assert_eq!(
        exporter["nodes"][7]["keeps_running"], false,
        "NoExecute evicts"
    );
    assert_eq!(
        exporter["cost"][0],
        serde_json::json!({
            "resource": "cpu",
            "request": "100m",
            "limit": "200m",
            "nodes": 4,
            "total_request": "400m",
            "total_limit": "800m",
            "allocatable": "8340m",
            "allocatable_nodes": 3,
            "share_percent": 3.6,
        })
    );
    assert_eq!(
        exporter["rollout"],
        serde_json::json!({
            "strategy": "RollingUpdate",
            "max_unavailable": "25%",
            "max_surge": null,
            "unavailable_nodes": 1,
            "surge_nodes": 0,
            "text": "rolling update: maxUnavailable 25% of 4 nodes = 1 node without the agent at once",
        })
    );
    insta::assert_snapshot!("coverage_mixed_cluster_json", stdout);
}

#[test]
fn kubectl_json_output_and_yaml_output_agree() {
    let (_, yaml, _) = run(&["coverage", "--nodes", CLUSTER, DAEMONSETS]);
    let (code, json, stderr) = run(&[
        "coverage",
        "--nodes",
        "tests/data/nodes/cluster.json",
        DAEMONSETS,
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        json.replacen("cluster.json", "cluster.yaml", 1),
        yaml,
        "`-o json` and `-o yaml` of the same nodes give the same tables"
    );
}

#[test]
fn a_directory_of_node_files() {
    let (code, stdout, stderr) = run(&[
        "coverage",
        "--nodes",
        "tests/data/nodes/dir",
        "tests/data/coverage/security-agent.yaml",
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        "Nodes: tests/data/nodes/dir (3 nodes)

DaemonSet security/security-agent (tests/data/coverage/security-agent.yaml:6:9)
  NODE      RUNS  REASON
  cp-1      yes
  master-1  no    required node affinity term 1: key node-role.kubernetes.io/master DoesNotExist failed; term 2: field metadata.name In [cp-1] failed
  gpu-1     no    required node affinity term 1: key accelerator NotIn [nvidia-gpu] failed; term 2: field metadata.name In [cp-1] failed
  Runs on 1 of 3 nodes.
  Cost on the 1 node it runs on:
    RESOURCE  REQUEST  LIMIT  TOTAL REQUESTS  TOTAL LIMITS  SHARE OF ALLOCATABLE
    cpu       1        2      1               2             25.0% of 4
    memory    512Mi    1Gi    512Mi           1Gi           3.3% of 15Gi
  Rolling update: maxUnavailable 3 of 1 node = its only node without the agent.
"
    );
}

#[test]
fn synthetic_node_pools() {
    let (code, stdout, stderr) = run(&[
        "coverage",
        "--nodes",
        "tests/data/nodes/synthetic.yaml",
        "tests/data/coverage/node-exporter.yaml",
        "tests/data/coverage/gpu-device-plugin.yaml",
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(
        stdout.contains("maxUnavailable 25% of 40 nodes = 10 nodes without the agent at once."),
        "{stdout}"
    );
    insta::assert_snapshot!("coverage_synthetic", stdout);
}

#[test]
fn bad_nodes_files_are_positioned_errors_with_exit_code_2() {
    let cases: &[(&str, &str)] = &[
        (
            "tests/data/nodes/bad/not-nodes.yaml",
            "tests/data/nodes/bad/not-nodes.yaml:2:7: error: expected a Node, found a `DaemonSet`: \
             `--nodes` takes the output of `kubectl get nodes -o yaml` (or `-o json`), a directory \
             of Node files, or a `synthetic:` description of node pools\n",
        ),
        (
            "tests/data/nodes/bad/bad-quantity.yaml",
            "tests/data/nodes/bad/bad-quantity.yaml:7:10: error: `4 cores` is not a quantity: \
             unknown suffix ` cores`; decimal suffixes are n u m k M G T P E, binary suffixes Ki \
             Mi Gi Ti Pi Ei, exponents e3 or E3\n\
             tests/data/nodes/bad/bad-quantity.yaml:8:13: error: `16GB` is not a quantity: \
             unknown suffix `GB` (did you mean `G` or `Gi`?); decimal suffixes are n u m k M G T \
             P E, binary suffixes Ki Mi Gi Ti Pi Ei, exponents e3 or E3\n",
        ),
        (
            "tests/data/nodes/bad/bad-synthetic.yaml",
            "tests/data/nodes/bad/bad-synthetic.yaml:4:5: error: unknown key `taint` in a node \
             pool (did you mean `taints`?)\n\
             tests/data/nodes/bad/bad-synthetic.yaml:5:12: error: `count` must be a whole number \
             from 1 to 100000\n",
        ),
        (
            "tests/data/nodes/bad/empty.yaml",
            "tests/data/nodes/bad/empty.yaml:1:1: error: no nodes found in this file: `--nodes` \
             takes the output of `kubectl get nodes -o yaml` (or `-o json`), a directory of Node \
             files, or a `synthetic:` description of node pools\n",
        ),
        (
            "tests/data/nodes/bad/duplicate.yaml",
            "tests/data/nodes/bad/duplicate.yaml:5:22: error: node `worker-1` appears twice\n",
        ),
        (
            "tests/data/nodes/no-such-file.yaml",
            "tests/data/nodes/no-such-file.yaml:1:1: error: cannot read the nodes file: No such \
             file or directory (os error 2)\n",
        ),
    ];
    for (nodes, expected) in cases {
        let (code, stdout, stderr) = run(&["coverage", "--nodes", nodes, DAEMONSETS]);
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (2, "", *expected));
        // `check --nodes` refuses the same file the same way, before linting anything.
        let (code, stdout, stderr) = run(&["check", "--nodes", nodes, "fixtures/"]);
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (2, "", *expected));
    }
}

#[test]
fn invalid_daemonset_inputs_exit_2_and_the_rest_is_still_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        resources:\n          requests: {cpu: 2 cores, memory: 1e3}\n---\nkind: DaemonSet\nmetadata: {name: y}\n",
    )
    .expect("write");
    let out = daemonlint()
        .current_dir(dir.path())
        .args([
            "coverage",
            "--nodes",
            &common::root().join(CLUSTER).display().to_string(),
            "bad.yaml",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stdout.contains(
            "DaemonSet x (bad.yaml:3:18)\n  error: bad.yaml:10:27: `2 cores` is not a quantity: unknown suffix ` cores`"
        ),
        "{stdout}"
    );
    // `1e3` bytes is a valid memory quantity.
    assert!(stdout.contains("    memory    1k "), "{stdout}");
    assert_eq!(
        stderr,
        "bad.yaml:12:1: error: this DaemonSet cannot be analysed: `spec` is missing\n"
    );
}

#[test]
fn check_with_nodes_names_the_skipped_control_plane_nodes() {
    let (code, stdout, stderr) = run(&[
        "check",
        "--format",
        "concise",
        "--no-summary",
        "--select",
        "missing-control-plane-toleration",
        "--nodes",
        CLUSTER,
        "fixtures/missing-control-plane-toleration/fail-no-tolerations.yaml",
        "fixtures/missing-control-plane-toleration/fail-legacy-master-only.yaml",
        "fixtures/missing-control-plane-toleration/pass-dedicated-pool.yaml",
        "fixtures/missing-control-plane-toleration/pass-exists-everything.yaml",
    ]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    assert_eq!(
        stdout,
        "fixtures/missing-control-plane-toleration/fail-legacy-master-only.yaml:15:7: \
         warning[missing-control-plane-toleration] the pods do not tolerate the taint \
         `node-role.kubernetes.io/control-plane:NoSchedule` (none of its tolerations matches), so \
         the agent will skip the control-plane node `cp-1` (1 of the 10 nodes in \
         tests/data/nodes/cluster.yaml)\n\
         fixtures/missing-control-plane-toleration/fail-no-tolerations.yaml:14:5: \
         warning[missing-control-plane-toleration] the pods do not tolerate the taints \
         `node-role.kubernetes.io/control-plane:NoSchedule` and \
         `node-role.kubernetes.io/master:NoSchedule` (it has no tolerations), so the agent will \
         skip the control-plane nodes `cp-1` and `master-1` (2 of the 10 nodes in \
         tests/data/nodes/cluster.yaml)\n"
    );
}

#[test]
fn check_with_nodes_is_silent_when_the_cluster_has_no_tainted_control_plane() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nodes = dir.path().join("managed.yaml");
    std::fs::write(&nodes, "synthetic:\n  - {count: 5, name: worker}\n").expect("write");
    let (code, stdout, stderr) = run(&[
        "check",
        "--format",
        "concise",
        "--no-summary",
        "--select",
        "missing-control-plane-toleration",
        "--nodes",
        &nodes.display().to_string(),
        "fixtures/missing-control-plane-toleration/fail-no-tolerations.yaml",
    ]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
}

#[test]
fn check_with_nodes_reports_max_unavailable_in_nodes() {
    let (code, stdout, stderr) = run(&[
        "check",
        "--format",
        "concise",
        "--no-summary",
        "--nodes",
        "tests/data/nodes/synthetic.yaml",
        "fixtures/aggressive-max-unavailable/",
    ]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("aggressive-max-unavailable]"))
        .collect();
    assert_eq!(
        lines,
        [
            "fixtures/aggressive-max-unavailable/fail-100-percent.yaml:12:23: warning[aggressive-max-unavailable] \
             `maxUnavailable: 100%` takes the agent off all 43 of its nodes in tests/data/nodes/synthetic.yaml at \
             once during an update: a bad rollout hits them all before it stops",
            "fixtures/aggressive-max-unavailable/fail-50-percent-string.yaml:13:23: warning[aggressive-max-unavailable] \
             `maxUnavailable: 50%` takes the agent off 22 of its 43 nodes in tests/data/nodes/synthetic.yaml at once \
             during an update (50% rounds up; above the 25% threshold): a bad rollout hits them all before it stops",
            "fixtures/aggressive-max-unavailable/fail-large-count.yaml:12:23: warning[aggressive-max-unavailable] \
             `maxUnavailable: 20` takes the agent off 20 of its 43 nodes in tests/data/nodes/synthetic.yaml at once \
             during an update (above the threshold of 5): a bad rollout hits them all before it stops",
        ]
    );
}

#[test]
fn documented_examples_are_current() {
    // The examples of the book's coverage page (docs/src/guide/coverage.md).
    let page = common::root().join("docs/src/guide/coverage.md");
    let readme = std::fs::read_to_string(page).expect("the coverage page");
    let mut checked = 0;
    for block in readme.split("```console\n").skip(1) {
        let block = block.split("\n```").next().unwrap_or_default();
        let mut lines = block.lines().filter(|l| !l.starts_with("$ kubectl"));
        let Some(command) = lines
            .next()
            .and_then(|l| l.strip_prefix("$ daemonlint coverage "))
        else {
            continue;
        };
        let expected: String = lines.map(|l| format!("{l}\n")).collect();
        let mut args = vec!["coverage"];
        args.extend(command.split_whitespace());
        let (code, stdout, _) = run(&args);
        assert_eq!(code, 0, "{command}");
        assert_eq!(
            stdout, expected,
            "documented example `daemonlint coverage {command}`"
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "the coverage page shows two examples");
}

#[test]
fn coverage_reads_the_files_the_configuration_lets_check_read() {
    // Not a dot-named directory: hidden paths are left out of walks.
    let dir = tempfile::Builder::new()
        .prefix("coverage")
        .tempdir()
        .expect("tempdir");
    let ds = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: {name}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:1\n"
        )
    };
    std::fs::create_dir(dir.path().join("vendor")).expect("mkdir");
    std::fs::write(dir.path().join("agent.yaml"), ds("agent")).expect("write");
    std::fs::write(dir.path().join("vendor/upstream.yaml"), ds("upstream")).expect("write");
    std::fs::write(dir.path().join(".daemonlint.yaml"), "exclude: [vendor/]\n").expect("write");
    let nodes = common::root().join(CLUSTER).display().to_string();
    let names = |extra: &[&str]| {
        let out = daemonlint()
            .current_dir(dir.path())
            .args(["coverage", "--format", "json", "--nodes", &nodes])
            .args(extra)
            .arg(".")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let mut names: Vec<String> = value["daemonsets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    // The configuration file's `exclude`, as `check` applies it.
    assert_eq!(names(&[]), ["agent"]);
    // `--isolated` ignores the configuration file; `--exclude` is the command line's.
    assert_eq!(names(&["--isolated"]), ["agent", "upstream"]);
    assert_eq!(
        names(&["--isolated", "--exclude", "agent.yaml"]),
        ["upstream"]
    );

    // A configuration file that cannot be used is an error on stderr, with exit 2.
    std::fs::write(dir.path().join(".daemonlint.yaml"), "exclude: 3\n").expect("write");
    let out = daemonlint()
        .current_dir(dir.path())
        .args(["coverage", "--nodes", &nodes, "."])
        .output()
        .expect("runs");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(".daemonlint.yaml:1:10: error[invalid-config] invalid type: integer `3`"),
        "{stderr}"
    );
}
