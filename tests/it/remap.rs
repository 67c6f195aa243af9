//! The remap stage: findings on a derived text (as a rendered chart will be) are reported in
//! the file the user edits, at the mapped line, with how sure that place is; a fix is applied
//! only through an exact mapping.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use daemonlint::config::Settings;
use daemonlint::render::{RenderInfo, RenderKind};
use daemonlint::report::{FormatEmitter, OutputFormat, RenderOptions};
use daemonlint::source::Span;
use daemonlint::source_map::{
    Mapped, Origin, Precision, Related, Segments, SourceId, SourceMap, Sources,
};
use daemonlint::{Derived, Inputs, Linter};
use serde_json::Value;

const HEADER: &str = "# Source: chart/templates/agent.yaml\n";

/// The derived text is `HEADER` + the origin; one line of it maps only by line (as a template
/// line with an action does), and names the values file that set it.
#[derive(Debug)]
struct TestMap {
    segments: Segments,
    values: SourceId,
}

impl SourceMap for TestMap {
    fn map(&self, span: Span, path: Option<&str>) -> Mapped {
        let mut mapped = self.segments.map(span, path);
        if mapped.primary.precision == Precision::Line {
            mapped.related.push(Related {
                origin: Origin {
                    source: self.values,
                    span: Span::new(7, 26),
                    precision: Precision::Line,
                },
                message: "set by `agent.persistence` here".into(),
            });
        }
        mapped
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    origin: PathBuf,
    origin_text: String,
    derived: Arc<Derived>,
    /// The run's sources, which the map points into.
    sources: Arc<Sources>,
    /// 1-based lines of the two `writable-host-path` findings (line-mapped, exact).
    lines: (u32, u32),
}

fn line_start(text: &str, line: u32) -> usize {
    text.split_inclusive('\n')
        .take(line as usize - 1)
        .map(str::len)
        .sum()
}

fn fixture() -> Fixture {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let agent = std::fs::read_to_string(root.join("tests/data/cross/agent.yaml")).unwrap();
    let second = agent.replace("name: log-agent\n", "name: log-agent-2\n");
    let origin_text = format!("{agent}---\n{second}");
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("agent.yaml");
    std::fs::write(&origin, &origin_text).unwrap();
    let sources = Sources::new();
    let origin_id = sources.add(origin.display().to_string(), origin_text.as_str());
    let values = sources.add("chart/values.yaml", "agent:\n  persistence: true\n");
    // The first DaemonSet's `state` mount (line 34) maps by line; the rest exactly.
    let first = 34;
    let second_line = first + agent.lines().count() as u32 + 1;
    let (start, end) = (
        line_start(&origin_text, first),
        line_start(&origin_text, first + 1),
    );
    let h = HEADER.len();
    let mut segments = Segments::new(origin_id);
    let exact = |from: usize, to: usize| Origin {
        source: origin_id,
        span: Span::new(from, to),
        precision: Precision::Exact,
    };
    segments.push(Span::new(h, h + start), exact(0, start));
    segments.push(
        Span::new(h + start, h + end),
        Origin {
            source: origin_id,
            span: Span::new(start, end - 1),
            precision: Precision::Line,
        },
    );
    segments.push(
        Span::new(h + end, h + origin_text.len()),
        exact(end, origin_text.len()),
    );
    let derived = Derived {
        name: "chart/templates/agent.yaml (rendered)".into(),
        text: format!("{HEADER}{origin_text}"),
        map: Arc::new(TestMap { segments, values }),
        render: Some(RenderInfo {
            kind: RenderKind::Helm,
            entry: "chart".into(),
            release: Some("agent".into()),
            // The origin stands for a values file: a chart's fixes edit values files only.
            values: vec!["chart/values.yaml".into(), origin.display().to_string()],
            set: None,
            command: vec![
                "helm".into(),
                "template".into(),
                "agent".into(),
                "chart".into(),
            ],
        }),
        settings_path: None,
    };
    Fixture {
        _dir: dir,
        sources: Arc::new(sources),
        origin,
        origin_text,
        derived: Arc::new(derived),
        lines: (first, second_line),
    }
}

fn inputs(f: &Fixture) -> Inputs {
    Inputs {
        derived: vec![Arc::clone(&f.derived)],
        sources: Arc::clone(&f.sources),
        ..Inputs::default()
    }
}

fn emit(f: &Fixture, format: OutputFormat) -> String {
    let settings = Settings::default();
    let mut out = Vec::new();
    let options = RenderOptions {
        color: false,
        summary: true,
        src_root: None,
    };
    let mut emitter = FormatEmitter::new(format, options, &mut out).unwrap();
    let outcome = Linter::new(&settings)
        .run(&inputs(f), &mut emitter)
        .unwrap();
    drop(emitter);
    assert_eq!(outcome.totals.stats.daemonsets, 2);
    String::from_utf8(out).unwrap()
}

#[test]
fn json_names_the_origin_file_and_line_and_how_sure_it_is() {
    let f = fixture();
    let origin = f.origin.display().to_string();
    let v: Value = serde_json::from_str(&emit(&f, OutputFormat::Json)).unwrap();
    let diagnostics = v["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty());
    for d in diagnostics {
        assert_eq!(d["file"], origin.as_str(), "{d}");
        assert_eq!(d["rendered"]["kind"], "helm", "{d}");
        assert_eq!(d["rendered"]["command"][1], "template", "{d}");
    }
    let mounts: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["rule"] == "writable-host-path")
        .collect();
    assert_eq!(mounts.len(), 2, "{mounts:?}");
    // The line-mapped one: its line, column 1 (the columns are not known), no fix, and the
    // values file the mapping names.
    let by_line = mounts[0];
    assert_eq!(by_line["line"], f.lines.0);
    assert_eq!(by_line["column"], 1);
    assert_eq!(by_line["mapping"], "line");
    assert_eq!(by_line["fix"], Value::Null);
    let related = by_line["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["file"] == "chart/values.yaml")
        .expect("the related place becomes a label");
    assert_eq!(related["line"], 2);
    // The exact one: the same place as in the origin, its fix edits the origin.
    let exact = mounts[1];
    assert_eq!(exact["line"], f.lines.1);
    assert_eq!(exact["column"], 15);
    assert_eq!(exact["mapping"], "exact");
    assert_eq!(exact["fix"]["edits"][0]["line"], f.lines.1);
    let other: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["rule"] != "writable-host-path")
        .collect();
    assert!(other.iter().all(|d| d["mapping"] == "exact"), "{other:?}");
}

#[test]
fn concise_and_sarif_name_the_origin_file_and_line() {
    let f = fixture();
    let origin = f.origin.display().to_string();
    let concise = emit(&f, OutputFormat::Concise);
    assert!(
        concise.contains(&format!(
            "{origin}:{}:1: warning[writable-host-path]",
            f.lines.0
        )),
        "{concise}"
    );
    assert!(
        concise.contains(&format!(
            "{origin}:{}:15: warning[writable-host-path]",
            f.lines.1
        )),
        "{concise}"
    );
    assert!(!concise.contains("(rendered)"), "{concise}");
    let sarif: Value = serde_json::from_str(&emit(&f, OutputFormat::Sarif)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let mounts: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "writable-host-path")
        .collect();
    assert_eq!(mounts.len(), 2);
    let location = &mounts[0]["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("agent.yaml"));
    assert_eq!(location["region"]["startLine"], f.lines.0);
    let related: Vec<&str> = mounts[0]["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        related.iter().any(|u| u.ends_with("chart/values.yaml")),
        "{related:?}"
    );
    assert_eq!(
        mounts[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
        f.lines.1
    );
}

#[test]
fn a_fix_is_applied_only_through_an_exact_mapping() {
    let f = fixture();
    let settings = Settings::default();
    let mut collect = daemonlint::Collect::new();
    let options = daemonlint::FixOptions {
        unsafe_fixes: true,
        write: true,
    };
    let (_, summary) = Linter::new(&settings)
        .fix(&inputs(&f), options, &mut collect)
        .unwrap();
    assert_eq!((summary.fixed, summary.files), (1, 1));
    let fixed = std::fs::read_to_string(&f.origin).unwrap();
    let line = |text: &str, n: u32| text.lines().nth(n as usize - 1).unwrap().to_string();
    // The line-mapped mount is left as it was; the exact one gets `readOnly: true`.
    assert_eq!(line(&fixed, f.lines.0), line(&f.origin_text, f.lines.0));
    assert_eq!(
        line(&fixed, f.lines.1),
        "            - {name: state, mountPath: /var/lib/log-agent, readOnly: true}"
    );
    assert_eq!(fixed.lines().count(), f.origin_text.lines().count());
}
