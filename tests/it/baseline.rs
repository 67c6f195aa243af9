#![allow(clippy::unwrap_used)]
//! The suppression stage after annotations and comments: `exemptions` in the configuration and
//! the baseline (`--write-baseline`, `--baseline`, `baseline:`), through the binary, in the
//! streamed formats (json, concise) and the whole-report ones (sarif), from files and stdin.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A DaemonSet with `hostNetwork` (host-network, host-network-dns-policy) and a container
/// without a liveness probe, a priority class or a security context.
const AGENT: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: node-agent}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
      hostNetwork: true
      serviceAccountName: node-agent
      tolerations: [{operator: Exists}]
      containers:
        - name: agent
          image: registry.example.com/node-agent:1.4.2
          resources:
            requests: {cpu: 50m, memory: 64Mi}
            limits: {cpu: 200m, memory: 128Mi}
";

/// ServiceAccounts beside the agent, none of them `node-agent` (missing-service-account, a
/// run-level finding).
const ACCOUNTS: &str = "\
apiVersion: v1
kind: ServiceAccount
metadata: {name: other, namespace: kube-system}
";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
    std::fs::write(dir.path().join("deploy/agent.yaml"), AGENT).unwrap();
    std::fs::write(dir.path().join("deploy/accounts.yaml"), ACCOUNTS).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_daemonlint"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `file:line rule [suppressed kind]` of each finding of a JSON report.
fn json_findings(out: &Output) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let kind = d["suppressed"]["kind"].as_str().map(|k| format!(" [{k}]"));
            format!(
                "{}:{} {}{}",
                d["file"].as_str().unwrap(),
                d["line"],
                d["rule"].as_str().unwrap(),
                kind.unwrap_or_default()
            )
        })
        .collect()
}

/// `uri:line ruleId` of each SARIF result.
fn sarif_results(out: &Output) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    value["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            format!(
                "{}:{} {}",
                location["artifactLocation"]["uri"].as_str().unwrap(),
                location["region"]["startLine"],
                r["ruleId"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_written_baseline_hides_every_current_finding_and_is_sorted_one_entry_a_line() {
    let repo = repo();
    let dir = repo.path();
    let before = run(dir, &["--isolated", "--format", "json", "."], None);
    assert_eq!(before.status.code(), Some(1));
    let found = json_findings(&before);
    assert!(
        found.contains(&"deploy/agent.yaml:13 host-network".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"deploy/agent.yaml:14 missing-service-account".to_string()),
        "{found:?}"
    );

    let wrote = run(
        dir,
        &[
            "--isolated",
            "--write-baseline",
            ".daemonlint-baseline.json",
            ".",
        ],
        None,
    );
    assert_eq!(wrote.status.code(), Some(0), "{wrote:?}");
    let text = std::fs::read_to_string(dir.join(".daemonlint-baseline.json")).unwrap();
    assert!(
        String::from_utf8_lossy(&wrote.stderr)
            .contains(&format!("Wrote {} baseline entries", found.len())),
        "{wrote:?}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..3], ["{", "  \"version\": 1,", "  \"findings\": ["]);
    let entries: Vec<&str> = lines[3..lines.len() - 2].to_vec();
    assert_eq!(entries.len(), found.len());
    // Sorted by file, object, rule, path: the same run writes the same bytes.
    let keys: Vec<(String, String, String)> = entries
        .iter()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l.trim().trim_end_matches(',')).unwrap();
            (
                v["file"].as_str().unwrap().to_string(),
                v["object"].as_str().unwrap().to_string(),
                v["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(
        keys[0],
        (
            "deploy/agent.yaml".to_string(),
            "DaemonSet kube-system/node-agent".to_string(),
            "host-network".to_string()
        )
    );
    let again = run(
        dir,
        &[
            "--isolated",
            "--write-baseline",
            ".daemonlint-baseline.json",
            ".",
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join(".daemonlint-baseline.json")).unwrap(),
        text
    );
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    for format in ["json", "concise", "sarif", "gitlab", "junit", "checkstyle"] {
        let out = run(
            dir,
            &[
                "--isolated",
                "--baseline",
                ".daemonlint-baseline.json",
                "--format",
                format,
                ".",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stdout(&out));
        if format == "sarif" {
            assert_eq!(sarif_results(&out), Vec::<String>::new());
        } else if format != "json" {
            assert!(
                !stdout(&out).contains("host-network"),
                "{format}: {}",
                stdout(&out)
            );
        }
    }
    // Shown as suppressed by the baseline.
    let shown = run(
        dir,
        &[
            "--isolated",
            "--baseline",
            ".daemonlint-baseline.json",
            "--format",
            "json",
            "--show-suppressed",
            ".",
        ],
        None,
    );
    let shown = json_findings(&shown);
    assert!(
        shown.contains(&"deploy/agent.yaml:13 host-network [baseline]".to_string()),
        "{shown:?}"
    );
    assert!(
        shown.contains(&"deploy/agent.yaml:14 missing-service-account [baseline]".to_string()),
        "{shown:?}"
    );
    // In SARIF, a finding the baseline hides is shown as an externally suppressed result.
    let sarif = run(
        dir,
        &[
            "--isolated",
            "--baseline",
            ".daemonlint-baseline.json",
            "--format",
            "sarif",
            "--show-suppressed",
            ".",
        ],
        None,
    );
    let value: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = value["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "host-network"));
    for r in results {
        assert_eq!(r["suppressions"][0]["kind"], "external", "{}", r["ruleId"]);
        assert_eq!(r["suppressions"][0]["properties"]["mechanism"], "baseline");
    }
}

#[test]
fn new_findings_show_and_stale_entries_are_reported_in_the_baseline_file() {
    let repo = repo();
    let dir = repo.path();
    let wrote = run(
        dir,
        &["--isolated", "--write-baseline", "base.json", "."],
        None,
    );
    assert_eq!(wrote.status.code(), Some(0));
    let baseline = std::fs::read_to_string(dir.join("base.json")).unwrap();
    let line_of = |rule: &str| {
        baseline
            .lines()
            .position(|l| l.contains(&format!("\"rule\":\"{rule}\"")))
            .unwrap()
            + 1
    };
    // Lines added above keep the old findings' identity; `hostNetwork` goes (two findings
    // fixed) and `hostPID` comes (a new one).
    let edited = AGENT
        .replace("spec:\n  selector", "# moved down\n\nspec:\n  selector")
        .replace("hostNetwork: true", "hostPID: true");
    std::fs::write(dir.join("deploy/agent.yaml"), &edited).unwrap();
    let args = ["--isolated", "--baseline", "base.json", "--format"];
    let json = run(dir, &[&args[..], &["json", "."]].concat(), None);
    assert_eq!(json.status.code(), Some(1));
    assert_eq!(
        json_findings(&json),
        [
            "deploy/agent.yaml:15 host-pid".to_string(),
            format!("base.json:{} unused-suppression", line_of("host-network")),
            format!(
                "base.json:{} unused-suppression",
                line_of("host-network-dns-policy")
            ),
        ]
    );
    let sarif = run(dir, &[&args[..], &["sarif", "."]].concat(), None);
    assert_eq!(sarif.status.code(), Some(1));
    assert_eq!(
        sarif_results(&sarif),
        [
            "deploy/agent.yaml:15 host-pid".to_string(),
            format!("base.json:{} unused-suppression", line_of("host-network")),
            format!(
                "base.json:{} unused-suppression",
                line_of("host-network-dns-policy")
            ),
        ]
    );
    let concise = stdout(&run(dir, &[&args[..], &["concise", "."]].concat(), None));
    assert!(
        concise.contains(&format!(
            "base.json:{}:5: warning[unused-suppression] this baseline entry (`host-network` in deploy/agent.yaml) matches no finding",
            line_of("host-network")
        )),
        "{concise}"
    );

    // stdin under its file name: the same findings hidden, the same stale entries (only the
    // agent's file was linted, so the accounts' entries are not stale).
    let stdin = run(
        dir,
        &[
            "--isolated",
            "--baseline",
            "base.json",
            "--format",
            "json",
            "--stdin-filename",
            "deploy/agent.yaml",
            "-",
        ],
        Some(&edited),
    );
    assert_eq!(
        json_findings(&stdin),
        [
            "deploy/agent.yaml:15 host-pid".to_string(),
            format!("base.json:{} unused-suppression", line_of("host-network")),
            format!(
                "base.json:{} unused-suppression",
                line_of("host-network-dns-policy")
            ),
        ]
    );

    // A file that is gone makes its entries stale even when the run does not lint it.
    std::fs::remove_file(dir.join("deploy/agent.yaml")).unwrap();
    std::fs::write(dir.join("other.yaml"), ACCOUNTS).unwrap();
    let gone = run(
        dir,
        &[
            "--isolated",
            "--baseline",
            "base.json",
            "--format",
            "json",
            "other.yaml",
        ],
        None,
    );
    let stale = json_findings(&gone);
    assert_eq!(stale.len(), baseline.lines().count() - 5, "{stale:?}");
    assert!(stale.iter().all(|s| s.ends_with("unused-suppression")));
}

#[test]
fn the_configuration_names_the_baseline_and_errors_point_into_it() {
    let repo = repo();
    let dir = repo.path();
    std::fs::create_dir(dir.join("ci")).unwrap();
    let wrote = run(
        dir,
        &["--isolated", "--write-baseline", "ci/base.json", "deploy"],
        None,
    );
    assert_eq!(wrote.status.code(), Some(0), "{wrote:?}");
    // File names are relative to the baseline's own directory.
    let text = std::fs::read_to_string(dir.join("ci/base.json")).unwrap();
    assert!(text.contains("\"file\":\"../deploy/agent.yaml\""), "{text}");
    std::fs::write(dir.join(".daemonlint.yaml"), "baseline: ci/base.json\n").unwrap();
    let out = run(dir, &["--format", "json", "deploy"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // A walk over the baseline's directory does not lint it as a manifest.
    let walked = run(dir, &["--format", "json", "."], None);
    let value: serde_json::Value = serde_json::from_slice(&walked.stdout).unwrap();
    assert_eq!(value["summary"]["files"], 2, "{value}");
    // `--write-baseline` ignores the configured baseline: it records every finding again.
    let again = run(dir, &["--write-baseline", "ci/base.json", "deploy"], None);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("ci/base.json")).unwrap(),
        text
    );

    // A broken baseline is a configuration error with a position in it.
    std::fs::write(
        dir.join("ci/base.json"),
        "{\n  \"version\": 1,\n  \"findings\": [\n    {\"file\": \"a.yaml\"}\n  ]\n}\n",
    )
    .unwrap();
    let out = run(dir, &["--format", "concise", "deploy"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains(
            "base.json:4:5: error[invalid-config] a baseline entry needs a `fingerprint`"
        ),
        "{}",
        stdout(&out)
    );
    let missing = run(
        dir,
        &[
            "--isolated",
            "--baseline",
            "nope.json",
            "--format",
            "concise",
            "deploy",
        ],
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stdout(&missing).contains("cannot read the baseline file"),
        "{}",
        stdout(&missing)
    );
    // Writing into a directory that does not exist fails cleanly.
    let failed = run(
        dir,
        &[
            "--isolated",
            "--write-baseline",
            "no/such/dir/b.json",
            "deploy",
        ],
        None,
    );
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("cannot write"));
}

const EXEMPTIONS: &str = "\
exemptions:
  - daemonsets: [\"node-*\"]
    namespaces: [kube-system]
    rules: [host-network, missing-service-account]
    reason: vendored CNI chart, reviewed with the network team
  - containers: [agent]
    rules: [reliability]
    reason: the vendor's agent has no health endpoint
  - daemonsets: [calico-node]
    rules: [security]
    reason: renamed long ago
";

#[test]
fn exemptions_hide_what_they_select_and_say_why() {
    let repo = repo();
    let dir = repo.path();
    std::fs::write(dir.join(".daemonlint.yaml"), EXEMPTIONS).unwrap();
    let all = run(dir, &["--format", "json", "--show-suppressed", "."], None);
    let found = json_findings(&all);
    assert!(
        found.contains(&"deploy/agent.yaml:13 host-network [exemption]".to_string()),
        "{found:?}"
    );
    // A run-level finding too.
    assert!(
        found.contains(&"deploy/agent.yaml:14 missing-service-account [exemption]".to_string()),
        "{found:?}"
    );
    // `host-network-dns-policy` is not listed: still reported.
    assert!(
        found.contains(&"deploy/agent.yaml:13 host-network-dns-policy".to_string()),
        "{found:?}"
    );
    // The container entry hides container findings of its category, not the pod's.
    assert!(
        found.contains(&"deploy/agent.yaml:17 missing-liveness-probe [exemption]".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"deploy/agent.yaml:12 missing-priority-class".to_string()),
        "{found:?}"
    );
    let value: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let reason = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "host-network")
        .unwrap()["suppressed"]["reason"]
        .clone();
    assert_eq!(reason, "vendored CNI chart, reviewed with the network team");

    // The stale entry (line 9) is reported where it is, when the run walks the directory
    // holding the configuration file, in every format.
    let json = json_findings(&run(dir, &["--format", "json", "."], None));
    assert!(
        json.iter()
            .any(|f| f.ends_with(".daemonlint.yaml:9 unused-suppression")),
        "{json:?}"
    );
    assert_eq!(
        json.iter()
            .filter(|f| f.contains("unused-suppression"))
            .count(),
        1
    );
    let sarif = sarif_results(&run(dir, &["--format", "sarif", "."], None));
    assert!(
        sarif
            .iter()
            .any(|f| f.ends_with(".daemonlint.yaml:9 unused-suppression")),
        "{sarif:?}"
    );
    // A run over one file does not see the DaemonSets the others exempt.
    let one = json_findings(&run(dir, &["--format", "json", "deploy/agent.yaml"], None));
    assert!(
        !one.iter().any(|f| f.contains("unused-suppression")),
        "{one:?}"
    );
    // stdin: hidden the same way.
    let stdin = json_findings(&run(
        dir,
        &[
            "--format",
            "json",
            "--stdin-filename",
            "deploy/agent.yaml",
            "-",
        ],
        Some(AGENT),
    ));
    assert!(
        !stdin.iter().any(|f| f.ends_with(" host-network")),
        "{stdin:?}"
    );
    assert!(
        stdin
            .iter()
            .any(|f| f.ends_with(" host-network-dns-policy")),
        "{stdin:?}"
    );
}

#[test]
fn exemption_errors_point_into_the_configuration() {
    let repo = repo();
    let dir = repo.path();
    let check = |config: &str, expected: &str| {
        std::fs::write(dir.join(".daemonlint.yaml"), config).unwrap();
        let out = run(dir, &["--format", "concise", "."], None);
        assert_eq!(out.status.code(), Some(2), "{config}");
        assert!(
            stdout(&out).contains(expected),
            "{config}\n{}",
            stdout(&out)
        );
    };
    check(
        "exemptions:\n  - rules: [host-network]\n",
        ".daemonlint.yaml:2:5: error[invalid-config] missing field `reason`",
    );
    check(
        "exemptions:\n  - rules: [host-netwrk]\n    reason: why\n",
        ".daemonlint.yaml:2:13: error[invalid-config] unknown rule or category `host-netwrk` (did you mean `host-network`?)",
    );
    check(
        "exemptions:\n  - daemonsets: [\"[x\"]\n    rules: [host-network]\n    reason: why\n",
        ".daemonlint.yaml:2:18: error[invalid-config] invalid glob: unclosed character class",
    );
    check(
        "exemptions:\n  - rules: []\n    reason: \" \"\n",
        ".daemonlint.yaml:2:12: error[invalid-config] an exemption names the rules it hides",
    );
    check(
        "exemptions:\n  - rules: [host-pid]\n    reason: \" \"\n",
        ".daemonlint.yaml:3:13: error[invalid-config] an exemption needs a reason",
    );
    check(
        "exemptions:\n  - rules: [host-pid]\n    reason: why\n    pods: [x]\n",
        ".daemonlint.yaml:4:5: error[invalid-config] unknown key `pods`",
    );
}

#[test]
fn a_large_file_read_window_by_window_is_baselined_like_a_whole_one() {
    use daemonlint::report::{FormatEmitter, OutputFormat, RenderOptions};
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    let text: String = (0..60)
        .map(|i| {
            format!(
                "---\n{}",
                AGENT.replace("name: node-agent", &format!("name: agent-{i}"))
            )
        })
        .collect();
    std::fs::write(&big, &text).unwrap();
    let mut settings = daemonlint::config::Settings::default();
    let report = daemonlint::Linter::new(&settings)
        .report(&daemonlint::Inputs::paths(std::slice::from_ref(&big)));
    let found = report.active().count();
    assert!(found >= 60 * 5, "{found}");
    let (baseline, count) = daemonlint::suppress_stage::write(&report, dir.path());
    assert_eq!(count, found);
    let baseline =
        daemonlint::settings::exemptions::Baseline::parse(&dir.path().join("b.json"), baseline)
            .unwrap();
    settings.baseline = Some(std::sync::Arc::new(baseline));
    let options = RenderOptions {
        color: false,
        summary: true,
        src_root: None,
    };
    let mut out = Vec::new();
    let mut stream = FormatEmitter::new(OutputFormat::Json, options, &mut out).unwrap();
    daemonlint::Linter::new(&settings)
        .window(2 << 10)
        .run(
            &daemonlint::Inputs::paths(std::slice::from_ref(&big)),
            &mut stream,
        )
        .unwrap();
    drop(stream);
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["summary"]["findings"], 0, "{}", value["diagnostics"]);
    assert_eq!(value["summary"]["suppressed"], found);
}

/// What a run matched is that run's: a linter run again (an editor, a watch loop, `--fix`
/// running again over the fixed files) reports an exemption the first run used and the second
/// does not.
#[test]
fn each_run_of_a_linter_counts_its_own_matches() {
    let repo = tempfile::Builder::new().prefix("repo").tempdir().unwrap();
    let dir = repo.path();
    std::fs::write(dir.join("agent.yaml"), AGENT).unwrap();
    std::fs::write(
        dir.join(".daemonlint.yaml"),
        "exemptions:\n  - rules: [host-network]\n    reason: the CNI needs the node's network\n",
    )
    .unwrap();
    let resolver = daemonlint::config::Resolver::new(Default::default(), None, false).unwrap();
    let linter = daemonlint::Linter::new(&resolver);
    let inputs = daemonlint::Inputs {
        paths: vec![dir.to_path_buf()],
        unused_suppressions: true,
        ..daemonlint::Inputs::default()
    };
    let unused = || -> Vec<(String, u32)> {
        let report = linter.report(&inputs);
        report
            .files
            .iter()
            .flat_map(|f| f.diagnostics.iter().map(move |d| (f, d)))
            .filter(|(_, d)| d.rule == "unused-suppression")
            .map(|(f, d)| {
                let name = Path::new(&f.source.name).file_name().unwrap();
                let line = f.source.line_col(d.span.start).line;
                (name.to_string_lossy().into_owned(), line)
            })
            .collect()
    };
    assert_eq!(unused(), []);
    std::fs::write(
        dir.join("agent.yaml"),
        AGENT.replace("      hostNetwork: true\n", ""),
    )
    .unwrap();
    assert_eq!(unused(), [(".daemonlint.yaml".to_string(), 2)]);
}
