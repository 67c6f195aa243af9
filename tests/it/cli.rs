#![allow(clippy::unwrap_used)]
//! End-to-end tests of the binary: exit codes, stdin, formats, the JSON contract, the corpus.

use crate::common;

use assert_cmd::Command;

fn daemonlint() -> Command {
    let mut cmd = Command::cargo_bin("daemonlint").expect("binary");
    cmd.current_dir(common::root()).env_remove("NO_COLOR");
    cmd
}

/// A DaemonSet on which no rule that is on by default fires.
const CLEAN: &str = "fixtures/missing-priority-class/pass-system-node-critical.yaml";
const PRIVILEGED: &str = "fixtures/privileged-container/fail-privileged.yaml";

#[test]
fn exit_code_zero_when_clean() {
    daemonlint().args(["check", CLEAN]).assert().code(0);
}

#[test]
fn exit_code_one_on_findings_and_threshold_moves_it() {
    daemonlint().args(["check", PRIVILEGED]).assert().code(1);
    daemonlint()
        .args(["check", "--fail-on", "error", PRIVILEGED])
        .assert()
        .code(0);
    daemonlint()
        .args(["check", "--exit-zero", PRIVILEGED])
        .assert()
        .code(0);
    daemonlint()
        .args([
            "check",
            "--fail-on",
            "error",
            "fixtures/invalid-daemonset/fail-no-spec.yaml",
        ])
        .assert()
        .code(1);
}

#[test]
fn exit_code_two_on_usage_errors() {
    daemonlint()
        .args(["check", "--format", "nope", CLEAN])
        .assert()
        .code(2);
    daemonlint().args(["frobnicate"]).assert().code(2);
    daemonlint()
        .args(["check", "-", "-"])
        .write_stdin("")
        .assert()
        .code(2);
}

#[test]
fn unreadable_file_is_reported_and_the_others_still_linted() {
    let out = daemonlint()
        .args([
            "check",
            "--format",
            "concise",
            "no/such/file.yaml",
            PRIVILEGED,
        ])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("no/such/file.yaml:1:1: error[io-error] cannot read"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{PRIVILEGED}:30:25: warning[privileged-container]"
        )),
        "{text}"
    );
}

#[test]
fn stdin_with_a_file_name() {
    let text = std::fs::read_to_string(common::root().join(PRIVILEGED)).expect("fixture");
    let out = daemonlint()
        .args([
            "check",
            "--format",
            "concise",
            "--no-summary",
            "--stdin-filename",
            "deploy/agent.yaml",
            "-",
        ])
        .write_stdin(text)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.lines().any(|l| l
            == "deploy/agent.yaml:30:25: warning[privileged-container] container `agent` runs \
                privileged: it has every capability and all host devices on every node, so one \
                compromised pod owns the whole fleet"),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.starts_with("deploy/agent.yaml:")),
        "every finding names the stdin file name and there is no summary: {text}"
    );
}

#[test]
fn json_contract() {
    let out = daemonlint()
        .args([
            "check",
            "--format",
            "json",
            "fixtures/privileged-container/fail-list.yaml",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("one JSON document");
    assert_eq!(json["version"], 1);
    let diagnostics = json["diagnostics"].as_array().expect("array");
    let d = diagnostics
        .iter()
        .find(|d| d["rule"] == "privileged-container")
        .expect("a privileged-container finding");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["file"], "fixtures/privileged-container/fail-list.yaml");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(28), Some(29))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(28), Some(33))
    );
    assert_eq!(
        d["path"],
        "items[1].spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(d["document"], 0);
    assert_eq!(d["object"]["kind"], "DaemonSet");
    assert_eq!(d["object"]["name"], "net-agent");
    assert!(d["object"]["namespace"].is_null());
    assert!(d["message"]
        .as_str()
        .is_some_and(|m| m.contains("privileged")));
    assert!(d["url"]
        .as_str()
        .is_some_and(|u| u.ends_with("rules/privileged-container.md")));
    let summary = &json["summary"];
    assert_eq!(summary["daemonsets"], 1);
    assert_eq!(summary["other_objects"], 1);
    let count = |severity: &str| {
        diagnostics
            .iter()
            .filter(|d| d["severity"] == severity)
            .count()
    };
    assert_eq!(summary["findings"].as_u64(), Some(diagnostics.len() as u64));
    assert_eq!(summary["errors"].as_u64(), Some(count("error") as u64));
    assert_eq!(summary["warnings"].as_u64(), Some(count("warning") as u64));
    assert_eq!(summary["infos"].as_u64(), Some(count("info") as u64));
}

#[test]
fn json_document_index_counts_from_the_top_of_the_file() {
    let out = daemonlint()
        .args([
            "check",
            "--format",
            "json",
            "fixtures/writable-host-path/fail-multi-document.yaml",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let writable: Vec<&serde_json::Value> = json["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d["rule"] == "writable-host-path")
        .collect();
    let docs: Vec<u64> = writable
        .iter()
        .filter_map(|d| d["document"].as_u64())
        .collect();
    assert_eq!(docs, vec![1, 3]);
    assert_eq!(json["summary"]["documents"], 4);
    assert_eq!(
        writable[1]["path"],
        "spec.template.spec.containers[0].volumeMounts[0]"
    );
}

#[test]
fn full_format_renders_the_source_excerpt() {
    let out = daemonlint()
        .args([
            "check",
            "--format",
            "full",
            "--color",
            "never",
            "fixtures/host-network/fail-hostnetwork.yaml",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("full_format", String::from_utf8(out).expect("utf-8"));
}

#[test]
fn rules_list_and_rule_page() {
    let out = daemonlint()
        .args(["rules", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let ids: Vec<&str> = json["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"missing-control-plane-toleration"));
    let page = daemonlint()
        .args(["rule", "writable-host-path"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let page = String::from_utf8(page).expect("utf-8");
    assert!(page.starts_with(
        "writable-host-path (security, enabled by default, default severity warning)"
    ));
    assert!(page.contains("## Why it matters on a DaemonSet"));
    assert!(!page.contains("since: 0.1.0"), "front matter is not shown");
    daemonlint()
        .args(["rule", "writable-hostpath"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "did you mean `writable-host-path`",
        ));
}

#[test]
fn directories_are_walked_for_manifests() {
    let out = daemonlint()
        .args(["check", "--format", "json", "fixtures/host-network"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let manifests = std::fs::read_dir(common::root().join("fixtures/host-network"))
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".json"))
        .count();
    assert!(manifests >= 4);
    assert_eq!(
        json["summary"]["files"], manifests,
        "yaml and json files, and no .expect files"
    );
}

/// Every file of the shared corpus: no panic, exit 0 or 1, every DaemonSet accounted for.
#[test]
fn shared_corpus_lints_without_crashing() {
    let Some(dir) = common::shared_corpus() else {
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv");
    let mut files = Vec::new();
    let mut expected_daemonsets = 0u64;
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        files.push(dir.join(cols[0]).display().to_string());
        expected_daemonsets += cols[5].parse::<u64>().expect("count");
    }
    assert_eq!(files.len(), 76);
    let output = daemonlint()
        .arg("check")
        .arg("--format")
        .arg("json")
        .args(&files)
        .output()
        .expect("runs");
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "exit code {code:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["summary"]["files"], 76);
    assert_eq!(
        json["summary"]["daemonsets"].as_u64(),
        Some(expected_daemonsets)
    );
    for d in json["diagnostics"].as_array().expect("array") {
        assert!(
            d["line"].as_u64().is_some_and(|l| l > 0),
            "finding without a line: {d}"
        );
        assert_ne!(d["rule"], "yaml-syntax", "the corpus is valid YAML: {d}");
    }
}

#[test]
fn kube_version_flag_selects_the_schema() {
    let file = "fixtures/unknown-field/fail-newer-field.yaml";
    let run = |version: &str| {
        let out = daemonlint()
            .args([
                "check",
                "--format",
                "concise",
                "--no-summary",
                "--kube-version",
                version,
                file,
            ])
            .output()
            .expect("runs");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    assert!(run("1.32").contains("error[unknown-field] unknown field `stopSignal`"));
    assert!(!run("1.33").contains("[unknown-field]"));
    daemonlint()
        .args(["check", "--kube-version", "1.9", file])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("supported: 1.30"));
}

#[test]
fn policies_run_and_broken_policies_are_usage_errors() {
    let fixture = "policies/examples/fixtures/registry-images/fail-public-images.yaml";
    let out = daemonlint()
        .args([
            "check",
            "--format",
            "concise",
            "--no-summary",
            "--policy",
            "policies/examples/registry-images.yaml",
            "--policy",
            "policies/examples/team-label.yaml",
            fixture,
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains(&format!("{fixture}:17:18: error[images-from-our-registry] images must come from registry.example.com/")),
        "{text}"
    );
    let out = daemonlint()
        .args([
            "check",
            "--format",
            "concise",
            "--policy",
            "fixtures/invalid-policy/fail-yaml.yaml",
            fixture,
        ])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.starts_with(
            "fixtures/invalid-policy/fail-yaml.yaml:3:10: error[invalid-policy] invalid YAML"
        ),
        "{text}"
    );
    assert!(!text.contains(fixture), "nothing is linted: {text}");
}

/// The schema findings of every corpus file, reviewed by hand (see the snapshot).
#[test]
fn shared_corpus_schema_findings() {
    let Some(dir) = common::shared_corpus() else {
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv");
    let files: Vec<String> = index
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().expect("file").to_string())
        .collect();
    let report = daemonlint::Linter::new(&daemonlint::config::Settings::default()).report(
        &daemonlint::Inputs::paths(&files.iter().map(|f| dir.join(f)).collect::<Vec<_>>()),
    );
    let schema_rules = [
        "unknown-field",
        "invalid-type",
        "missing-field",
        "invalid-value",
        "duplicate-key",
        "yaml-1-1-ambiguity",
    ];
    let mut lines = Vec::new();
    for file in &report.files {
        let name = std::path::Path::new(&file.source.name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let mut counts = std::collections::BTreeMap::new();
        for d in &file.diagnostics {
            if schema_rules.contains(&d.rule.as_ref()) {
                *counts.entry(d.rule.to_string()).or_insert(0) += 1;
            }
        }
        if !counts.is_empty() {
            let detail: Vec<String> = counts.iter().map(|(r, n)| format!("{r} {n}")).collect();
            lines.push(format!("{name}: {}", detail.join(", ")));
        }
    }
    insta::assert_snapshot!("corpus_schema_findings", lines.join("\n"));
}
