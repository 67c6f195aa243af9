#![allow(clippy::unwrap_used)]
//! The machine-readable output formats: exact content for the `tests/data/formats` fixture
//! (insta snapshots), SARIF against the official schema and GitHub code scanning's rules,
//! escaping edge cases, stable GitLab fingerprints, JUnit/Checkstyle well-formedness,
//! `--output-file` and the GitHub job summary.

use crate::common;

use std::path::Path;

use assert_cmd::Command;
use daemonlint::diagnostic::{Applicability, Edit, Fix};
use daemonlint::report::{OutputFormat, RenderOptions};
use daemonlint::source::{SourceFile, Span};
use daemonlint::Report;
use serde_json::Value;

const DIR: &str = "tests/data/formats";
const AGENTS: &str = "tests/data/formats/agents.yaml";

fn daemonlint(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("daemonlint").expect("binary");
    cmd.current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("NO_COLOR");
    cmd
}

/// Runs `daemonlint check --format <format> <args>` from the crate root; returns stdout.
fn check(format: &str, args: &[&str], code: i32) -> String {
    let out = daemonlint(&common::root())
        .args(["check", "--format", format])
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8")
}

fn render(format: OutputFormat, report: &Report) -> String {
    let mut out = Vec::new();
    let options = RenderOptions {
        color: false,
        summary: false,
        src_root: Some(Path::new("/repo")),
    };
    daemonlint::report::emit(format, report, options, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

/// The fixture under an awkward name, with a fix on the privileged finding and a message that
/// holds every character some format must escape.
fn edge_case_report() -> Report {
    let text = std::fs::read_to_string(common::root().join(AGENTS)).expect("fixture");
    let source = SourceFile::new("odd dir,1/a:b%c&<'\">.yaml", text);
    // The fixture directory's configuration applies, as it does for the binary.
    let settings = daemonlint::config::Resolver::new(Default::default(), None, false)
        .expect("config")
        .settings_for(Some(&common::root().join(AGENTS)));
    let mut file = daemonlint::Linter::new(&settings).check_source(source, None);
    let value = file
        .source
        .text
        .find("privileged: true")
        .expect("privileged")
        + 12;
    let privileged = file
        .diagnostics
        .iter_mut()
        .find(|d| d.rule == "privileged-container")
        .expect("privileged finding");
    privileged.fix = Some(Fix {
        description: "set `privileged: false`".into(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            span: Span::new(value, value + 4),
            replacement: "false".into(),
        }],
    });
    file.diagnostics[0].message = "50% of nodes, a:b\r\nsecond line <&\"'> \u{1}".into();
    file.diagnostics[0].help = Some("remove it, or: keep it at 0%".into());
    Report {
        files: vec![file],
        ..Report::default()
    }
}

// ---------------------------------------------------------------------------------------------
// SARIF

fn sarif_schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("tests/data/sarif-schema-2.1.0.json"))
            .expect("schema"),
    )
    .expect("schema json");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(log: &Value) {
    let validator = sarif_schema();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

/// What GitHub code scanning documents that it needs from an uploaded SARIF file.
fn assert_github_code_scanning_accepts(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "daemonlint");
    let rules = driver["rules"].as_array().expect("rules");
    assert!(rules.len() <= 25_000);
    let bases = run["originalUriBaseIds"].as_object().expect("base ids");
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty() && results.len() <= 25_000);
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId is present");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let locations = r["locations"].as_array().expect("locations are present");
        assert!(!locations.is_empty() && locations.len() <= 10);
        let mut physical: Vec<&Value> = locations.iter().map(|l| &l["physicalLocation"]).collect();
        if let Some(related) = r["relatedLocations"].as_array() {
            physical.extend(related.iter().map(|l| &l["physicalLocation"]));
        }
        for p in physical {
            let artifact = &p["artifactLocation"];
            let uri = artifact["uri"].as_str().expect("uri");
            assert!(
                !uri.contains("://") && !uri.starts_with('/'),
                "uri is relative: {uri}"
            );
            let base = artifact["uriBaseId"].as_str().expect("uriBaseId");
            assert!(bases.contains_key(base), "{base} is defined");
            let region = &p["region"];
            let start = region["startLine"].as_u64().expect("startLine");
            assert!(start >= 1);
            assert!(region["startColumn"].as_u64().expect("startColumn") >= 1);
            assert!(region["endLine"].as_u64().expect("endLine") >= start);
        }
        let fingerprints = r["partialFingerprints"].as_object().expect("fingerprints");
        assert!(!fingerprints.is_empty());
    }
}

#[test]
fn sarif_snapshot() {
    let out = check("sarif", &[DIR], 1);
    let mut log: Value = serde_json::from_str(&out).expect("one JSON document");
    let run = &mut log["runs"][0];
    let root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("the working directory is %SRCROOT%")
        .to_string();
    assert!(
        root_uri.starts_with("file:///") && root_uri.ends_with('/'),
        "{root_uri}"
    );
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///[working directory]/".into();
    // The registry is checked by `sarif_describes_every_rule`; keep this snapshot independent of
    // rules being added.
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    run["tool"]["driver"]["rules"] = "[every rule of the registry]".into();
    for result in run["results"].as_array_mut().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        result["ruleIndex"] = "[index of ruleId]".into();
    }
    run["tool"]["driver"]["version"] = "[version]".into();
    run["tool"]["driver"]["semanticVersion"] = "[version]".into();
    insta::assert_json_snapshot!("sarif", log);
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_github_rules() {
    let log: Value = serde_json::from_str(&check("sarif", &[DIR], 1)).expect("json");
    assert_valid_sarif(&log);
    assert_github_code_scanning_accepts(&log);
    let edge: Value =
        serde_json::from_str(&render(OutputFormat::Sarif, &edge_case_report())).expect("json");
    assert_valid_sarif(&edge);
    assert_github_code_scanning_accepts(&edge);
    // A clean run is a valid log with no results.
    let clean: Value = serde_json::from_str(&check(
        "sarif",
        &["fixtures/missing-priority-class/pass-system-node-critical.yaml"],
        0,
    ))
    .expect("json");
    assert_valid_sarif(&clean);
    assert_eq!(clean["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn sarif_schema_check_rejects_a_broken_log() {
    let mut log: Value = serde_json::from_str(&check("sarif", &[DIR], 1)).expect("json");
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert_eq!(sarif_schema().iter_errors(&log).count(), 2);
}

#[test]
fn sarif_describes_every_rule() {
    let log: Value = serde_json::from_str(&check("sarif", &[DIR], 1)).expect("json");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let metas: Vec<_> = daemonlint::rules::all_meta().collect();
    assert_eq!(rules.len(), metas.len());
    for (rule, meta) in rules.iter().zip(metas) {
        assert_eq!(rule["id"], meta.id);
        assert_eq!(rule["shortDescription"]["text"], meta.summary);
        let what = daemonlint::rules_docs::section(meta.id, "What it does").expect("section");
        assert_eq!(rule["fullDescription"]["text"], what);
        assert_eq!(rule["helpUri"], daemonlint::rules::docs_url(meta.id));
        let body = daemonlint::rules_docs::body(meta.id).expect("page");
        assert_eq!(rule["help"]["markdown"], body);
        assert_eq!(rule["help"]["text"], body);
        let level = match meta.default_severity {
            daemonlint::diagnostic::Severity::Error => "error",
            daemonlint::diagnostic::Severity::Warning => "warning",
            daemonlint::diagnostic::Severity::Info => "note",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level);
        assert_eq!(
            rule["defaultConfiguration"]["enabled"],
            meta.default_enabled
        );
    }
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
}

#[test]
fn sarif_columns_are_utf16_code_units() {
    let log: Value = serde_json::from_str(&check("sarif", &[AGENTS], 1)).expect("json");
    assert_eq!(log["runs"][0]["columnKind"], "utf16CodeUnits");
    let result = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "privileged-container")
        .expect("privileged finding")
        .clone();
    let region = &result["locations"][0]["physicalLocation"]["region"];
    // The line holds U+1D11E (one code point, two UTF-16 code units) before `true`, which the
    // concise format puts at character column 70.
    let concise = check("concise", &["--no-summary", AGENTS], 1);
    assert!(concise.contains("agents.yaml:32:70: warning[privileged-container]"));
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(32), Some(71))
    );
    assert_eq!(
        (region["endLine"].as_u64(), region["endColumn"].as_u64()),
        (Some(32), Some(75))
    );
}

#[test]
fn sarif_fixes_and_awkward_file_names() {
    let log: Value =
        serde_json::from_str(&render(OutputFormat::Sarif, &edge_case_report())).expect("json");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let privileged = results
        .iter()
        .find(|r| r["ruleId"] == "privileged-container")
        .expect("privileged");
    insta::assert_json_snapshot!("sarif_fix", privileged["fixes"]);
    let uri = &privileged["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(uri["uri"], "odd%20dir%2C1/a%3Ab%25c%26%3C%27%22%3E.yaml");
    assert_eq!(uri["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///repo/"
    );
    assert_eq!(
        results[0]["message"]["text"],
        "50% of nodes, a:b\r\nsecond line <&\"'> \u{1}"
    );
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

#[test]
fn github_snapshot() {
    insta::assert_snapshot!("github", check("github", &[DIR], 1));
}

#[test]
fn github_escapes_messages_and_properties() {
    let out = render(OutputFormat::Github, &edge_case_report());
    let first = out.lines().next().expect("a command");
    assert_eq!(
        first,
        "::warning file=odd dir%2C1/a%3Ab%25c&<'\">.yaml,line=24,col=20,endLine=24,endColumn=24,\
         title=host-network::50%25 of nodes, a:b%0D%0Asecond line <&\"'> \u{1}%0A%0Ahelp: \
         remove it, or: keep it at 0%25"
    );
    assert_eq!(out.lines().count(), 4, "one line per finding:\n{out}");
    for line in out.lines() {
        assert!(
            line.starts_with("::warning file=odd dir%2C1/a%3Ab%25c"),
            "{line}"
        );
    }
}

#[test]
fn github_job_summary_is_appended_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "Output of an earlier step.\n").expect("write");
    let out = daemonlint(&common::root())
        .args(["check", "--format", "github", DIR])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out)
        .expect("utf-8")
        .starts_with("::warning file="));
    let text = std::fs::read_to_string(&summary).expect("summary");
    insta::assert_snapshot!("github_step_summary", text);
    // Other formats leave it alone.
    daemonlint(&common::root())
        .args(["check", "--format", "concise", DIR])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .code(1);
    assert_eq!(std::fs::read_to_string(&summary).expect("summary"), text);
}

// ---------------------------------------------------------------------------------------------
// JUnit and Checkstyle

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("junit", check("junit", &[DIR], 1));
}

#[test]
fn junit_has_a_case_per_daemonset_and_category() {
    let out = check("junit", &[DIR], 1);
    let doc = roxmltree::Document::parse(&out).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    // Two DaemonSets times four categories, plus the broken file.
    assert_eq!(cases.len(), 2 * 4 + 1);
    assert_eq!(root.attribute("tests"), Some("9"));
    let failing: Vec<(&str, &str)> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| {
            (
                c.attribute("name").unwrap_or_default(),
                c.attribute("classname").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        failing,
        vec![
            (
                "tests/data/formats/agents.yaml: DaemonSet/monitoring/log-agent",
                "daemonlint.security"
            ),
            (
                "tests/data/formats/agents.yaml: DaemonSet/monitoring/log-agent",
                "daemonlint.resources"
            ),
            ("tests/data/formats/broken.yaml", "daemonlint.correctness"),
        ]
    );
    assert_eq!(root.attribute("failures"), Some("3"));
}

#[test]
fn xml_formats_escape_and_stay_well_formed() {
    let report = edge_case_report();
    let name = "odd dir,1/a:b%c&<'\">.yaml";
    let message = "50% of nodes, a:b\r\nsecond line <&\"'> \u{fffd}";
    let checkstyle = render(OutputFormat::Checkstyle, &report);
    let doc = roxmltree::Document::parse(&checkstyle).expect("well-formed checkstyle");
    let file = doc
        .descendants()
        .find(|n| n.has_tag_name("file"))
        .expect("file");
    assert_eq!(file.attribute("name"), Some(name));
    let error = file
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("error");
    assert_eq!(error.attribute("message"), Some(message));
    assert_eq!(error.attribute("source"), Some("daemonlint.host-network"));

    let junit = render(OutputFormat::Junit, &report);
    let doc = roxmltree::Document::parse(&junit).expect("well-formed junit");
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("failure");
    assert!(failure
        .attribute("message")
        .is_some_and(|m| m.ends_with(message)));
    assert!(failure
        .text()
        .is_some_and(|t| t.starts_with(&format!("{name}:24:20: warning[host-network] {message}"))));
}

#[test]
fn checkstyle_snapshot() {
    insta::assert_snapshot!("checkstyle", check("checkstyle", &[DIR], 1));
}

// ---------------------------------------------------------------------------------------------
// GitLab Code Quality

#[test]
fn gitlab_snapshot() {
    insta::assert_snapshot!("gitlab", check("gitlab", &[DIR], 1));
}

fn gitlab_issues(cwd: &Path, arg: &str) -> Vec<Value> {
    let out = daemonlint(cwd)
        .args(["check", "--format", "gitlab", arg])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice::<Value>(&out)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

fn field<'a>(issues: &'a [Value], pointer: &str) -> Vec<&'a Value> {
    issues
        .iter()
        .map(|i| i.pointer(pointer).expect("field"))
        .collect()
}

#[test]
fn gitlab_fingerprints_are_stable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(common::root().join(AGENTS)).expect("fixture");
    let file = dir.path().join("agents.yaml");
    std::fs::write(&file, &text).expect("write");
    std::fs::copy(
        common::root().join(DIR).join(".daemonlint.yaml"),
        dir.path().join(".daemonlint.yaml"),
    )
    .expect("config");
    let first = gitlab_issues(dir.path(), "agents.yaml");
    let fingerprints = field(&first, "/fingerprint");
    assert_eq!(fingerprints.len(), 4);
    let unique: std::collections::BTreeSet<_> =
        fingerprints.iter().filter_map(|f| f.as_str()).collect();
    assert_eq!(unique.len(), 4, "no two findings share a fingerprint");
    assert!(unique.iter().all(|f| f.len() == 64));

    // The same input twice.
    assert_eq!(gitlab_issues(dir.path(), "agents.yaml"), first);
    // An absolute path under the working directory is reported relative to it.
    let absolute = gitlab_issues(dir.path(), file.to_str().expect("utf-8 path"));
    assert_eq!(absolute, first);
    assert_eq!(field(&absolute, "/location/path")[0], "agents.yaml");

    // A blank line inserted at the top moves every finding down and keeps every fingerprint.
    std::fs::write(&file, format!("\n{text}")).expect("write");
    let moved = gitlab_issues(dir.path(), "agents.yaml");
    assert_eq!(field(&moved, "/fingerprint"), fingerprints);
    let lines = |issues: &[Value]| -> Vec<u64> {
        field(issues, "/location/positions/begin/line")
            .iter()
            .filter_map(|l| l.as_u64())
            .collect()
    };
    let before = lines(&first);
    assert_eq!(
        lines(&moved),
        before.iter().map(|l| l + 1).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// --output-file

#[test]
fn output_file_gets_the_format_and_the_terminal_the_human_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("daemonlint.sarif");
    let out = daemonlint(&common::root())
        .args(["check", "--format", "sarif", "--output-file"])
        .arg(&report)
        .arg(DIR)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).expect("utf-8");
    assert_eq!(
        out,
        check("concise", &[DIR], 1),
        "stdout is not a terminal: concise"
    );
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_valid_sarif(&log);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");

    daemonlint(&common::root())
        .args(["check", "--format", "gitlab", "--output-file"])
        .arg(dir.path().join("no/such/dir/report.json"))
        .arg(DIR)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("daemonlint: cannot write"));
}

#[test]
fn suppressed_findings_stay_out_of_every_machine_format() {
    let text = std::fs::read_to_string(
        common::root().join("fixtures/host-network/pass-suppressed-by-annotation.yaml"),
    )
    .expect("fixture");
    let file = daemonlint::Linter::new(&daemonlint::config::Settings::default())
        .check_source(SourceFile::new("ds.yaml", text), None);
    assert!(file
        .diagnostics
        .iter()
        .any(|d| d.rule == "host-network" && d.suppressed.is_some()));
    let report = Report {
        files: vec![file],
        ..Report::default()
    };
    let sarif: Value = serde_json::from_str(&render(OutputFormat::Sarif, &report)).expect("sarif");
    let rule_ids: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert!(!rule_ids.is_empty());
    assert!(!rule_ids.contains(&"host-network"), "{rule_ids:?}");
    for format in [
        OutputFormat::Github,
        OutputFormat::Junit,
        OutputFormat::Checkstyle,
        OutputFormat::Gitlab,
        OutputFormat::Json,
        OutputFormat::Concise,
    ] {
        let out = render(format, &report);
        assert!(out.contains("missing-priority-class"), "{format:?}: {out}");
        for marker in [
            "\"host-network\"",
            "[host-network]",
            "title=host-network:",
            "daemonlint.host-network\"",
        ] {
            assert!(
                !out.contains(marker),
                "{format:?} shows a suppressed finding:\n{out}"
            );
        }
    }
}

#[test]
fn sarif_marks_shown_suppressed_findings_as_suppressed() {
    let text = std::fs::read_to_string(
        common::root().join("fixtures/writable-host-path/pass-suppressed-by-comment.yaml"),
    )
    .expect("fixture");
    let file = daemonlint::Linter::new(&daemonlint::config::Settings::default())
        .check_source(SourceFile::new("ds.yaml", text), None);
    let report = Report {
        files: vec![file],
        show_suppressed: true,
        ..Report::default()
    };
    let sarif: Value = serde_json::from_str(&render(OutputFormat::Sarif, &report)).expect("sarif");
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "writable-host-path")
        .collect();
    assert_eq!(suppressed.len(), 1, "{results:#?}");
    assert_eq!(
        suppressed[0]["suppressions"],
        serde_json::json!([{
            "kind": "inSource",
            "justification": "the agent keeps its read position here",
            "properties": {"mechanism": "comment"}
        }])
    );
    // Active findings carry no `suppressions` (code scanning would close them).
    assert!(results
        .iter()
        .filter(|r| r["ruleId"] != "writable-host-path")
        .all(|r| r.get("suppressions").is_none()));
}

// ---------------------------------------------------------------------------------------------
// Labels in other sources

/// A label names its source by id in the report's table: every format that shows it gives
/// that source's name and the line and column in its text (not the finding's own file's), and
/// an id the table does not know is shown without panicking.
#[test]
fn labels_in_other_sources_are_resolved_through_the_run_table() {
    use daemonlint::diagnostic::{Diagnostic, Label, Severity};
    use daemonlint::source_map::Sources;
    let sources = Sources::new();
    let _first = sources.add("unrelated.yaml", "a: 1\n");
    let other = sources.add("other.yaml", "x: 1\ny: 2\nname: é-role\n");
    let foreign = Sources::new();
    let _ = foreign.add("a", "");
    let _ = foreign.add("b", "");
    let unknown = foreign.add("c", "");
    let mut d = Diagnostic::new(
        "cluster-admin-binding",
        Severity::Error,
        Span::new(0, 4),
        "bound",
    );
    // `é-role` starts at byte 16 of line 3: column 7; it ends at byte 23 (column 13).
    d.labels
        .push(Label::new(Span::new(16, 23), "grants here").in_file(other));
    d.labels
        .push(Label::new(Span::new(0, 1), "lost").in_file(unknown));
    let file = daemonlint::FileReport::findings(SourceFile::new("own.yaml", "kind: A\n"), vec![d]);
    let report = Report {
        files: vec![file],
        sources: std::sync::Arc::new(sources),
        ..Report::default()
    };
    let json: Value = serde_json::from_str(&render(OutputFormat::Json, &report)).expect("json");
    let label = &json["diagnostics"][0]["labels"][0];
    assert_eq!(label["file"], "other.yaml");
    assert_eq!(
        (label["line"].as_u64(), label["column"].as_u64()),
        (Some(3), Some(7))
    );
    assert_eq!(label["end_column"].as_u64(), Some(13));
    let concise = render(OutputFormat::Concise, &report);
    assert!(
        concise.contains("= note: other.yaml:3:7: grants here"),
        "{concise}"
    );
    let sarif: Value = serde_json::from_str(&render(OutputFormat::Sarif, &report)).expect("sarif");
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["artifactLocation"]["uri"], "other.yaml");
    assert_eq!(related["region"]["startLine"].as_u64(), Some(3));
    assert_eq!(related["region"]["startColumn"].as_u64(), Some(7));
    // Every format renders the unknown id too.
    for &format in <OutputFormat as clap::ValueEnum>::value_variants() {
        let _ = render(format, &report);
    }
}
