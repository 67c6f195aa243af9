//! One pipeline: stdin, `--fix` and every output format see the same findings.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// A finding as every format can name it: rule, file and line.
type Finding = (String, String, u64);

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/cross")
            .join(name),
    )
    .unwrap()
}

/// A directory with the ClusterRoleBinding that gives `agent.yaml`'s ServiceAccount
/// `cluster-admin` (as `binding.yaml`) and, with `agent`, the DaemonSet itself.
fn workspace(agent: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("binding.yaml"), data("rbac.yaml")).unwrap();
    if agent {
        std::fs::write(dir.path().join("agent.yaml"), data("agent.yaml")).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str], stdin: Option<String>) -> (String, String, i32) {
    let mut cmd = Command::cargo_bin("daemonlint").unwrap();
    cmd.current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(args);
    if let Some(text) = stdin {
        cmd.write_stdin(text);
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// `file:line:col: severity[rule] message` lines (concise, and the bodies of JUnit failures).
fn concise_lines(text: &str) -> Vec<Finding> {
    text.lines()
        .filter_map(|line| {
            let (place, rest) = line.split_once(": ")?;
            let mut parts = place.split(':');
            let (file, line, _col) = (parts.next()?, parts.next()?, parts.next()?);
            let rule = rest.split_once('[')?.1.split_once(']')?.0;
            Some((rule.to_string(), file.to_string(), line.parse().ok()?))
        })
        .collect()
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// The findings of an output, read the way its consumers read it.
fn findings(format: &str, out: &str) -> BTreeSet<Finding> {
    let mut found = Vec::new();
    match format {
        "json" => {
            let v: Value = serde_json::from_str(out).unwrap();
            for d in v["diagnostics"].as_array().unwrap() {
                found.push((
                    d["rule"].as_str().unwrap().to_string(),
                    d["file"].as_str().unwrap().to_string(),
                    d["line"].as_u64().unwrap(),
                ));
            }
        }
        "concise" => found = concise_lines(out),
        "full" => {
            // `rule (url)` then, a few lines on, `╭─[file:line:col]`.
            let mut rule = None;
            for line in out.lines() {
                if let Some((id, _)) = line.split_once(" (https://") {
                    rule = Some(id.trim().to_string());
                } else if let Some(at) = line.find("╭─[") {
                    let Some(id) = rule.take() else { continue };
                    let place = &line[at + "╭─[".len()..line.rfind(']').unwrap()];
                    let mut parts = place.split(':');
                    let file = parts.next().unwrap().to_string();
                    found.push((id, file, parts.next().unwrap().parse().unwrap()));
                }
            }
        }
        "sarif" => {
            let v: Value = serde_json::from_str(out).unwrap();
            for r in v["runs"][0]["results"].as_array().unwrap() {
                let loc = &r["locations"][0]["physicalLocation"];
                found.push((
                    r["ruleId"].as_str().unwrap().to_string(),
                    loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                    loc["region"]["startLine"].as_u64().unwrap(),
                ));
            }
        }
        "github" => {
            for line in out.lines().filter(|l| l.starts_with("::")) {
                let head = line[2..].split("::").next().unwrap();
                let field = |name: &str| {
                    head.split([',', ' '])
                        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                        .unwrap()
                        .to_string()
                };
                found.push((
                    field("title"),
                    field("file"),
                    field("line").parse().unwrap(),
                ));
            }
        }
        "junit" => {
            // A failure's body lists its findings, the first on the `<failure ...>` line.
            let body: Vec<&str> = out
                .lines()
                .map(|l| match l.find("<failure ") {
                    Some(at) => l[at..].split_once("\">").map_or("", |(_, rest)| rest),
                    None => l,
                })
                .collect();
            found = concise_lines(&body.join("\n"));
        }
        "checkstyle" => {
            let mut file = String::new();
            for tag in out.split('<') {
                if tag.starts_with("file ") {
                    file = attr(tag, "name").unwrap().to_string();
                } else if tag.starts_with("error ") {
                    let rule = attr(tag, "source").unwrap();
                    found.push((
                        rule.strip_prefix("daemonlint.").unwrap().to_string(),
                        file.clone(),
                        attr(tag, "line").unwrap().parse().unwrap(),
                    ));
                }
            }
        }
        "gitlab" => {
            let v: Value = serde_json::from_str(out).unwrap();
            for issue in v.as_array().unwrap() {
                let loc = &issue["location"];
                found.push((
                    issue["check_name"].as_str().unwrap().to_string(),
                    loc["path"].as_str().unwrap().to_string(),
                    loc["positions"]["begin"]["line"].as_u64().unwrap(),
                ));
            }
        }
        other => panic!("no reader for {other}"),
    }
    let set: BTreeSet<Finding> = found.iter().cloned().collect();
    assert_eq!(
        set.len(),
        found.len(),
        "{format}: a finding twice: {found:?}"
    );
    set
}

const FORMATS: &[&str] = &[
    "json",
    "concise",
    "full",
    "sarif",
    "github",
    "junit",
    "checkstyle",
    "gitlab",
];

#[test]
fn stdin_beside_a_path_gives_the_same_findings_in_every_format() {
    let dir = workspace(false);
    let mut seen: Vec<(&str, BTreeSet<Finding>)> = Vec::new();
    for format in FORMATS {
        let args = [
            "check",
            "--color",
            "never",
            "--format",
            format,
            "--stdin-filename",
            "agent.yaml",
            "-",
            "binding.yaml",
        ];
        let (out, err, code) = run(dir.path(), &args, Some(data("agent.yaml")));
        assert_eq!(code, 1, "{format}: {err}");
        let found = findings(format, &out);
        // stdin joins the run-level phase: its ServiceAccount is bound in binding.yaml.
        let admin = (
            "cluster-admin-binding".to_string(),
            "agent.yaml".to_string(),
            13,
        );
        assert!(found.contains(&admin), "{format}: {found:?}");
        seen.push((format, found));
    }
    let (first, expected) = &seen[0];
    for (format, found) in &seen[1..] {
        assert_eq!(found, expected, "{format} differs from {first}");
    }
    assert_eq!(expected.len(), 7, "{expected:?}");
}

#[test]
fn fix_keeps_the_cross_file_findings_of_a_fixed_file() {
    let dir = workspace(true);
    let args = [
        "check",
        "--fix",
        "--unsafe-fixes",
        "--format",
        "concise",
        "agent.yaml",
        "binding.yaml",
    ];
    let (out, err, code) = run(dir.path(), &args, None);
    assert!(err.contains("Fixed 1 finding in 1 file."), "{err}");
    let fixed = std::fs::read_to_string(dir.path().join("agent.yaml")).unwrap();
    assert!(fixed.contains("readOnly: true"), "{fixed}");
    let found = findings("concise", &out);
    let rules: Vec<&str> = found.iter().map(|(rule, _, _)| rule.as_str()).collect();
    assert!(!rules.contains(&"writable-host-path"), "{out}");
    // The fixed file is linted again with binding.yaml, not alone.
    assert!(
        found.contains(&("cluster-admin-binding".into(), "agent.yaml".into(), 13)),
        "{out}"
    );
    assert_eq!(code, 1);
    // What remains is what a plain run of the fixed files reports.
    let plain = ["check", "--format", "concise", "agent.yaml", "binding.yaml"];
    let (again, _, _) = run(dir.path(), &plain, None);
    assert_eq!(found, findings("concise", &again));
}

#[test]
fn stdin_named_like_a_file_of_the_run_keeps_its_own_findings() {
    // `agent.yaml` on disk holds no DaemonSet; stdin, named the same, holds the one bound to
    // cluster-admin: the run-level finding is stdin's, at its line.
    let dir = workspace(false);
    std::fs::write(
        dir.path().join("agent.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: logging}\n",
    )
    .unwrap();
    let mut seen = Vec::new();
    for format in ["json", "sarif", "checkstyle"] {
        let args = [
            "check",
            "--format",
            format,
            "--stdin-filename",
            "agent.yaml",
            "-",
            "agent.yaml",
            "binding.yaml",
        ];
        let (out, err, code) = run(dir.path(), &args, Some(data("agent.yaml")));
        assert_eq!(code, 1, "{format}: {err}");
        let found = findings(format, &out);
        let admin = (
            "cluster-admin-binding".to_string(),
            "agent.yaml".to_string(),
            13,
        );
        assert!(found.contains(&admin), "{format}: {found:?}");
        seen.push(found);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
}
