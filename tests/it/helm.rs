//! Helm charts (issue 19): render the real charts in `../shared/charts` with the real helm, lint
//! the rendered text, map every DaemonSet finding back through the chart's `HelmMap`, and
//! compare with the hand-written truth in `tests/data/helm-truth` (file and line of the place a
//! user edits, and the related places). Also: the precision over every finding, a check that no
//! mapped line is a wrong line, the render errors, and the mapping's cost next to helm's.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daemonlint::diagnostic::Diagnostic;
use daemonlint::render::helm::{self, HelmOptions};
use daemonlint::render::Rendered;
use daemonlint::source::SourceFile;
use daemonlint::source_map::{Mapped, Origin, Precision, Sources};

use crate::common::root;

/// The helm binary from the project's script, or `None` (SKIPPED) when it cannot be installed.
fn helm_bin() -> Option<PathBuf> {
    crate::common::k8s_tools().map(|dir| dir.join("helm"))
}

fn shared_charts() -> Option<PathBuf> {
    let dir = root().join("../shared/charts");
    if dir.is_dir() {
        dir.canonicalize().ok()
    } else {
        eprintln!("SKIPPED: ../shared/charts is absent (CI always has it)");
        None
    }
}

/// Every rule on, the rendered text as one file.
fn lint_rendered(name: &str, text: &str) -> Vec<Diagnostic> {
    crate::common::lint_all(name, text)
}

/// A scratch directory under the system's temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "daemonlint-helm-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The falco stand-in the truth was made from: a copy whose Chart.yaml has no `dependencies:`
/// (the shared copy lacks `charts/`; the three subcharts are disabled in every rendering).
fn falco_standin(charts: &Path, scratch: &Scratch) -> PathBuf {
    let chart = scratch.0.join("falco");
    copy_dir(&charts.join("falco"), &chart);
    let text = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("dependencies:") {
            skipping = true;
            continue;
        }
        if skipping && (line.starts_with(' ') || line.starts_with('-')) {
            continue;
        }
        skipping = false;
        out.push_str(line);
        out.push('\n');
    }
    std::fs::write(chart.join("Chart.yaml"), out).unwrap();
    chart
}

/// One truth row.
#[derive(Debug)]
struct Row {
    rule: String,
    container: String,
    line: u32,
    primary: String,
    labels: Vec<String>,
    precision: String,
}

fn truth(file: &Path) -> Vec<Row> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                rule: c[0].into(),
                container: c[2].into(),
                line: c[3].parse().unwrap(),
                primary: c[5].into(),
                labels: c[6]
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                precision: c[7].into(),
            }
        })
        .collect()
}

/// One rendering of the truth: the TSV's stem says chart and values file.
struct Case {
    stem: String,
    chart: String,
    values: Option<String>,
}

fn cases() -> Vec<Case> {
    let mut out: Vec<Case> = std::fs::read_dir(root().join("tests/data/helm-truth"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".tsv")?.to_string();
            let (chart, values) = match stem.split_once('+') {
                Some((c, v)) => (c.to_string(), Some(v.to_string())),
                None => (stem.clone(), None),
            };
            Some(Case {
                stem,
                chart,
                values,
            })
        })
        .collect();
    out.sort_by(|a, b| a.stem.cmp(&b.stem));
    out
}

/// A mapped place as the truth writes it: `chart/file:line` relative to `../shared/charts`.
struct Namer {
    prefixes: Vec<(String, String)>,
}

impl Namer {
    fn name(&self, sources: &Sources, origin: &Origin) -> String {
        let entry = sources.get(origin.source);
        let mut name = entry.name.clone();
        for (prefix, replace) in &self.prefixes {
            if let Some(rest) = name.strip_prefix(prefix.as_str()) {
                name = format!("{replace}{rest}");
                break;
            }
        }
        if origin.precision == Precision::File {
            name
        } else {
            format!("{name}:{}", entry.line_col(origin.span.start).line)
        }
    }
}

/// Everything a finding maps to: primary, then the related places, then each label's mapping.
struct Placed {
    primary: Origin,
    primary_name: String,
    labels: Vec<String>,
    /// The primary's own related places (not the labels').
    related: Vec<Origin>,
}

fn place(rendered: &Rendered, sources: &Sources, namer: &Namer, d: &Diagnostic) -> Placed {
    let mapped = rendered.map.map_finding(d.span, d.path.as_deref(), &d.rule);
    let mut labels = Vec::new();
    let related = mapped.related.iter().map(|r| r.origin).collect();
    let mut push = |m: &Mapped, with_primary: bool| {
        if with_primary {
            labels.push(namer.name(sources, &m.primary));
        }
        for r in &m.related {
            labels.push(namer.name(sources, &r.origin));
        }
    };
    push(&mapped, false);
    for label in &d.labels {
        push(&rendered.map.map(label.span, None), true);
    }
    Placed {
        primary: mapped.primary,
        primary_name: namer.name(sources, &mapped.primary),
        labels,
        related,
    }
}

/// Figures over all renderings.
#[derive(Default, Debug)]
struct Figures {
    rows: usize,
    /// Truth rows whose finding today's daemonlint no longer reports.
    rows_without_finding: usize,
    primary_ok: usize,
    labels_ok: usize,
    findings: usize,
    exact: usize,
    line: usize,
    file: usize,
    wrong: Vec<String>,
    /// Primaries that land in a values file (where a user's fix goes).
    in_values: usize,
    /// Rows where the mapping says `exact` and the truth only `line` (a fix would be unsafe).
    over_claimed: Vec<String>,
    helm: Duration,
    mapping: Duration,
    mismatches: Vec<String>,
}

/// Re-derive a mapped line from the rendered text: the origin line must show the rendered
/// line's key or value, or read a `.Values` value, or be a control line that skipped it.
fn line_text(sources: &Sources, origin: &Origin) -> String {
    let entry = sources.get(origin.source);
    let line = entry.line_col(origin.span.start).line as usize - 1;
    entry.text[entry.line_span(line).range()].trim().to_string()
}

fn plausible(sources: &Sources, origin: &Origin, rendered_line: &str, related: &[String]) -> bool {
    if origin.precision == Precision::File {
        return true;
    }
    let mut text = line_text(sources, origin);
    if text.starts_with("- ") {
        // A list item: its body (toYaml sorts keys, so the rendered item's first key may be
        // any of the item's keys).
        let entry = sources.get(origin.source);
        let first = entry.line_col(origin.span.start).line as usize - 1;
        let span = entry.line_span(first);
        let raw = &entry.text[span.range()];
        let indent = raw.len() - raw.trim_start().len();
        for n in first + 1..entry.line_index().line_count() {
            let span = entry.line_span(n);
            let raw = &entry.text[span.range()];
            if raw.trim().is_empty() || raw.len() - raw.trim_start().len() <= indent {
                break;
            }
            text.push('\n');
            text.push_str(raw.trim());
        }
    }
    let head = rendered_line.lines().next().unwrap_or("");
    let shown = head.trim().trim_start_matches("- ").trim();
    let key = shown.split(':').next().unwrap_or("").trim();
    let value = shown.split_once(':').map_or("", |(_, v)| v.trim());
    let text_key = text
        .trim_start_matches("- ")
        .split(':')
        .next()
        .unwrap_or("")
        .trim();
    text.contains("{{")
        || (!key.is_empty() && text.contains(key))
        || (!value.is_empty() && text.contains(value.trim_matches('"')))
        || text_key.starts_with('#')
        || (!text_key.is_empty() && rendered_line.contains(text_key))
        || (!text_key.is_empty() && related.iter().any(|r| r.contains(text_key)))
        || (key == "resources" && matches!(text_key, "limits" | "requests"))
        || {
            // A values scalar the rendered value shows (a helper may prefix it).
            let first = text.lines().next().unwrap_or("").trim_start_matches("- ");
            let v = first.split_once(": ").map_or(first, |(_, v)| v).trim();
            let v = v.trim_matches(|c| matches!(c, '"' | '[' | ']' | ',' | '\''));
            v.len() >= 6 && rendered_line.contains(v)
        }
}

fn run_case(
    helm_path: &Path,
    charts: &Path,
    case: &Case,
    figures: &mut Figures,
    scratch: &Scratch,
) {
    let chart = if case.chart == "falco" {
        falco_standin(charts, scratch)
    } else {
        charts.join(&case.chart)
    };
    let mut options = HelmOptions {
        release: "rel".into(),
        helm: Some(helm_path.to_path_buf()),
        ..HelmOptions::default()
    };
    if case.chart == "nvidia-device-plugin" && case.values.is_none() {
        options.namespace = Some("nvidia-device-plugin".into());
    }
    if let Some(v) = &case.values {
        options
            .values
            .push(charts.join("values").join(format!("{v}.yaml")));
    }
    // helm alone, for the cost comparison.
    let started = Instant::now();
    let out = std::process::Command::new(helm_path)
        .args(helm::template_args(&chart, &options))
        .output()
        .unwrap();
    let helm_time = started.elapsed();
    figures.helm += helm_time;
    assert!(out.status.success(), "{}: helm failed", case.stem);

    let sources = Sources::new();
    let rendered =
        helm::render(&chart, &options, &sources).unwrap_or_else(|e| panic!("{}: {e}", case.stem));
    // The map's own cost: build it again from helm's output, with the chart's files read.
    let mut values_files = vec![chart.join("values.yaml")];
    values_files.extend(options.values.iter().cloned());
    let started = Instant::now();
    let timing_sources = Sources::new();
    let _ = helm::HelmMap::build(
        &chart,
        &String::from_utf8_lossy(&out.stdout),
        &values_files,
        &timing_sources,
    );
    let build = started.elapsed();
    assert_eq!(
        sources.get(rendered.source).text.as_bytes(),
        out.stdout.as_slice(),
        "{}: the rendered source is helm's stdout",
        case.stem
    );
    let text = sources.get(rendered.source).text.to_string();
    let namer = Namer {
        prefixes: vec![
            (format!("{}/", chart.display()), format!("{}/", case.chart)),
            (format!("{}/", charts.display()), String::new()),
        ],
    };
    let diagnostics = lint_rendered("rendered.yaml", &text);
    let started = Instant::now();
    let source = SourceFile::new("rendered.yaml", text.clone());
    let mut placed = Vec::new();
    for d in &diagnostics {
        if d.object.as_ref().is_none_or(|o| o.kind != "DaemonSet") {
            continue;
        }
        placed.push((d, place(&rendered, &sources, &namer, d)));
    }
    let mapping = build + started.elapsed();
    figures.mapping += mapping;
    eprintln!(
        "  {}: helm {:?}, map build {:?} + mapping {} findings {:?} ({:.1}%)",
        case.stem,
        helm_time,
        build,
        placed.len(),
        mapping.saturating_sub(build),
        mapping.as_secs_f64() * 100.0 / helm_time.as_secs_f64()
    );

    let rendered_lines: Vec<&str> = text.lines().collect();
    for (d, p) in &placed {
        figures.findings += 1;
        if p.primary_name.contains("values") {
            figures.in_values += 1;
        }
        match p.primary.precision {
            Precision::Exact => figures.exact += 1,
            Precision::Line => figures.line += 1,
            Precision::File => figures.file += 1,
        }
        let line = source.line_col(d.span.start).line as usize;
        // The rendered line, with the rest of its item or mapping when it opens one.
        let first = rendered_lines.get(line - 1).copied().unwrap_or("");
        let indent = first.len() - first.trim_start().len();
        let mut shown = first.to_string();
        for next in rendered_lines.iter().skip(line) {
            if next.len() - next.trim_start().len() <= indent || next.trim().is_empty() {
                break;
            }
            shown.push('\n');
            shown.push_str(next.trim());
        }
        let shown = shown.as_str();
        let related: Vec<String> = p.related.iter().map(|o| line_text(&sources, o)).collect();
        if !plausible(&sources, &p.primary, shown, &related) {
            figures.wrong.push(format!(
                "{} {} {line}: {} <- {shown:?}",
                case.stem, d.rule, p.primary_name
            ));
        }
    }
    for row in truth(&root().join(format!("tests/data/helm-truth/{}.tsv", case.stem))) {
        figures.rows += 1;
        let found = placed.iter().find(|(d, _)| {
            d.rule == row.rule
                && source.line_col(d.span.start).line == row.line
                && d.container.as_deref().unwrap_or("") == row.container
        });
        let Some((_, p)) = found else {
            figures.rows_without_finding += 1;
            figures.mismatches.push(format!(
                "{} {} {}: no such finding",
                case.stem, row.rule, row.line
            ));
            continue;
        };
        if p.primary_name == row.primary {
            figures.primary_ok += 1;
            if p.primary.precision == Precision::Exact && row.precision != "exact" {
                figures
                    .over_claimed
                    .push(format!("{} {} {}", case.stem, row.rule, row.line));
            }
        } else {
            figures.mismatches.push(format!(
                "{} {} {}: primary {} ({:?}), truth {} ({})",
                case.stem,
                row.rule,
                row.line,
                p.primary_name,
                p.primary.precision,
                row.primary,
                row.precision
            ));
        }
        let mut got = p.labels.clone();
        got.sort();
        got.dedup();
        let mut want = row.labels.clone();
        want.sort();
        want.dedup();
        if got == want {
            figures.labels_ok += 1;
        } else {
            figures.mismatches.push(format!(
                "{} {} {}: labels {:?}, truth {:?}",
                case.stem, row.rule, row.line, got, want
            ));
        }
    }
}

#[test]
fn findings_map_to_the_hand_written_truth() {
    let (Some(helm_path), Some(charts)) = (helm_bin(), shared_charts()) else {
        return;
    };
    let scratch = Scratch::new("truth");
    let mut figures = Figures::default();
    let cases = cases();
    assert_eq!(cases.len(), 25);
    for case in &cases {
        run_case(&helm_path, &charts, case, &mut figures, &scratch);
    }
    let per = BTreeMap::from([
        ("exact", figures.exact),
        ("line", figures.line),
        ("file", figures.file),
    ]);
    eprintln!(
        "helm truth: {} rows ({} without a finding today), primary right {}, labels right {}; \
         findings {} {per:?} ({} in values files); helm {:?}, mapping {:?}",
        figures.rows,
        figures.rows_without_finding,
        figures.primary_ok,
        figures.labels_ok,
        figures.findings,
        figures.in_values,
        figures.helm,
        figures.mapping
    );
    for m in &figures.mismatches {
        eprintln!("  {m}");
    }
    for w in &figures.wrong {
        eprintln!("  WRONG {w}");
    }
    for o in &figures.over_claimed {
        eprintln!("  OVER-CLAIMED exact {o}");
    }
    assert_eq!(figures.rows, 358);
    // No mapped line that the rendered text contradicts.
    assert!(figures.wrong.is_empty(), "{:#?}", figures.wrong);
    // At least 95% of all findings `line` or better (the issue's target).
    assert!(
        (figures.exact + figures.line) * 100 >= figures.findings * 95,
        "{figures:?}"
    );
    // The measured agreement with the hand-written truth (354 of the 355 rows whose finding
    // daemonlint still reports, and 234 label sets, when this was written): a regression fails
    // here. The 3 other rows are secrets-store's `/etc/kubernetes/secrets-store-csi-providers`
    // hostPath, which today's sensitive-host-path no longer reports.
    assert!(
        figures.rows_without_finding <= 3,
        "{:#?}",
        figures.mismatches
    );
    assert!(
        figures.primary_ok >= 354,
        "primary right {}",
        figures.primary_ok
    );
    assert!(
        figures.labels_ok >= 234,
        "labels right {}",
        figures.labels_ok
    );
    // Never `exact` where the truth says only `line` (fixes apply only to exact mappings).
    assert!(
        figures.over_claimed.is_empty(),
        "{:#?}",
        figures.over_claimed
    );
}

/// The alignment, line by line: fluent-bit's `hostNetwork` line comes from `_pod.tpl` line 20
/// and the varlog volume from the `toYaml .Values.daemonSetVolumes` block.
/// `DAEMONLINT_HELM_EXPLAIN=chart[+values]` prints the alignment of that rendering instead.
#[test]
fn the_alignment_explains_each_rendered_line() {
    let (Some(helm_path), Some(charts)) = (helm_bin(), shared_charts()) else {
        return;
    };
    let stem = std::env::var("DAEMONLINT_HELM_EXPLAIN").unwrap_or_else(|_| "fluent-bit".into());
    let (chart, values) = stem
        .split_once('+')
        .map_or((stem.as_str(), None), |(c, v)| (c, Some(v)));
    let scratch = Scratch::new("explain");
    let chart = if chart == "falco" {
        falco_standin(&charts, &scratch)
    } else {
        charts.join(chart)
    };
    let mut options = HelmOptions {
        release: "rel".into(),
        helm: Some(helm_path),
        ..HelmOptions::default()
    };
    if let Some(v) = values {
        options
            .values
            .push(charts.join("values").join(format!("{v}.yaml")));
    } else if stem == "nvidia-device-plugin" {
        options.namespace = Some("nvidia-device-plugin".into());
    }
    let sources = Sources::new();
    let out = std::process::Command::new(options.helm.clone().unwrap())
        .args(helm::template_args(&chart, &options))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut files = vec![chart.join("values.yaml")];
    files.extend(options.values.iter().cloned());
    let map = helm::HelmMap::build(&chart, &text, &files, &sources);
    let explained = map.explain();
    if std::env::var("DAEMONLINT_HELM_EXPLAIN").is_ok() {
        eprintln!("{explained}");
        return;
    }
    let line = |needle: &str| {
        explained
            .lines()
            .find(|l| l.ends_with(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in\n{explained}"))
            .to_string()
    };
    // File 2 is `templates/_pod.tpl` (templates are numbered in path order).
    assert!(
        line("|       hostNetwork: false").contains("T 2:20 "),
        "{explained}"
    );
    assert!(
        line("|             path: /var/log").contains("B 2:152 [\"daemonSetVolumes\"]"),
        "{explained}"
    );
}

/// The small charts of the error tests, written to a scratch directory (kept out of
/// `tests/data`, which is linted as plain YAML until charts are wired into discovery).
const TEST_CHARTS: &[(&str, &str)] = &[
    (
        "old-deps/Chart.yaml",
        "apiVersion: v1\nname: old-deps\nversion: 0.1.0\n",
    ),
    (
        "old-deps/requirements.yaml",
        "dependencies:\n  - name: redis\n    version: 1.x.x\n  - name: vendored\n    version: 1.0.0\n",
    ),
    ("old-deps/charts/vendored-1.0.0.tgz", ""),
    (
        "agent/Chart.yaml",
        r#"apiVersion: v2
name: agent
description: A small chart whose template fails when `agent.level` is not set (render errors).
version: 0.1.0
"#,
    ),
    (
        "agent/templates/ds.yaml",
        r#"apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-agent
  labels:
    level: {{ .Values.agent.level.name }}
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
        - name: agent
          image: {{ .Values.image }}
"#,
    ),
    (
        "agent/values.yaml",
        r#"image: registry.example.com/agent:1.2.3
agent: {}
"#,
    ),
    (
        "broken-parse/Chart.yaml",
        r#"apiVersion: v2
name: broken-parse
description: A chart whose template does not parse (an unclosed action).
version: 0.1.0
"#,
    ),
    (
        "broken-parse/templates/ds.yaml",
        r#"apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
        - name: x
          image: {{ .Values.image | nosuchfunction }}
"#,
    ),
    (
        "needs-deps/Chart.yaml",
        r#"apiVersion: v2
name: needs-deps
description: A chart that declares a dependency it does not vendor under charts/.
version: 0.1.0
dependencies:
  - name: common
    version: 2.x.x
    repository: https://charts.example.com
"#,
    ),
    (
        "needs-deps/templates/cm.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: x
"#,
    ),
];

/// The test charts in a scratch directory; `data(&scratch, "agent")` is one of them.
fn test_charts(tag: &str) -> Scratch {
    let scratch = Scratch::new(tag);
    for (path, text) in TEST_CHARTS {
        let path = scratch.0.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    scratch
}

fn data(scratch: &Scratch, chart: &str) -> PathBuf {
    scratch.0.join(chart)
}

#[test]
fn a_missing_helm_is_a_missing_tool() {
    let charts = test_charts("missing");
    let sources = Sources::new();
    let options = HelmOptions {
        helm: Some(PathBuf::from("no/such/dir/helm")),
        ..HelmOptions::default()
    };
    let err = helm::render(&data(&charts, "agent"), &options, &sources).unwrap_err();
    assert!(err.missing_tool, "{err:?}");
    assert!(err.message.contains("install helm"), "{}", err.message);
    assert!(err.message.contains("--helm"), "{}", err.message);
}

#[test]
fn undeclared_dependencies_are_named_without_a_network_call() {
    // A fake helm that would leave a mark if it were run: dependencies are checked first.
    let scratch = test_charts("deps");
    let mark = scratch.0.join("ran");
    let fake = scratch.0.join("helm");
    std::fs::write(&fake, format!("#!/bin/sh\ntouch '{}'\n", mark.display())).unwrap();
    make_executable(&fake);
    let sources = Sources::new();
    let options = HelmOptions {
        helm: Some(fake),
        ..HelmOptions::default()
    };
    let err = helm::render(&data(&scratch, "needs-deps"), &options, &sources).unwrap_err();
    assert!(!err.missing_tool);
    assert!(err.message.contains("(common)"), "{}", err.message);
    assert!(
        err.message.contains("helm dependency build"),
        "{}",
        err.message
    );
    let origin = err.origin.expect("Chart.yaml");
    assert!(sources.get(origin.source).name.ends_with("Chart.yaml"));
    assert!(!mark.exists(), "helm was run");
    assert_eq!(
        helm::missing_dependencies(&data(&scratch, "needs-deps")),
        vec!["common".to_string()]
    );
    // A v1 chart declares them in requirements.yaml; a vendored archive counts.
    assert_eq!(
        helm::missing_dependencies(&data(&scratch, "old-deps")),
        vec!["redis".to_string()]
    );
    // The shared falco copy lacks its charts/ directory: the same error, naming all three.
    if let Some(charts) = shared_charts() {
        let err = helm::render(&charts.join("falco"), &options, &sources).unwrap_err();
        assert!(
            err.message
                .contains("(falcosidekick, k8s-metacollector, falco-talon)"),
            "{}",
            err.message
        );
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn a_hanging_helm_is_stopped() {
    let scratch = test_charts("hang");
    let fake = scratch.0.join("helm");
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
    make_executable(&fake);
    let sources = Sources::new();
    let options = HelmOptions {
        helm: Some(fake),
        timeout: Duration::from_millis(300),
        ..HelmOptions::default()
    };
    let started = Instant::now();
    let err = helm::render(&data(&scratch, "agent"), &options, &sources).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!err.missing_tool);
    assert!(err.message.contains("did not finish"), "{}", err.message);
}

#[test]
fn a_failing_template_is_a_finding_where_helm_says() {
    let Some(helm_path) = helm_bin() else { return };
    let charts = test_charts("fails");
    let options = HelmOptions {
        helm: Some(helm_path),
        ..HelmOptions::default()
    };
    let sources = Sources::new();
    // An execution error: line and column.
    let err = helm::render(&data(&charts, "agent"), &options, &sources).unwrap_err();
    assert!(err.message.contains("nil pointer"), "{}", err.message);
    let origin = err.origin.expect("a place");
    let entry = sources.get(origin.source);
    assert!(
        entry.name.ends_with("agent/templates/ds.yaml"),
        "{}",
        entry.name
    );
    let at = entry.line_col(origin.span.start);
    assert_eq!((at.line, at.column), (6, 21));
    assert_eq!(origin.precision, Precision::Exact);
    // A parse error: the line only.
    let err = helm::render(&data(&charts, "broken-parse"), &options, &sources).unwrap_err();
    assert!(err.message.contains("nosuchfunction"), "{}", err.message);
    let origin = err.origin.expect("a place");
    let entry = sources.get(origin.source);
    assert!(entry.name.ends_with("broken-parse/templates/ds.yaml"));
    assert_eq!(entry.line_col(origin.span.start).line, 10);
    assert_eq!(origin.precision, Precision::Line);
    // With the value set, it renders, and the image maps to the values line that set it.
    let scratch = Scratch::new("agent");
    let values = scratch.0.join("level.yaml");
    std::fs::write(&values, "agent:\n  level:\n    name: high\n").unwrap();
    let options = HelmOptions {
        values: vec![values.clone()],
        ..options
    };
    let rendered = helm::render(&data(&charts, "agent"), &options, &sources).unwrap();
    let text = sources.get(rendered.source).text.clone();
    let at = text.find("high").unwrap();
    let mapped = rendered.map.map(
        daemonlint::source::Span::new(at, at + 4),
        Some("metadata.labels.level"),
    );
    let entry = sources.get(mapped.primary.source);
    assert_eq!(entry.name, values.display().to_string());
    assert_eq!(entry.line_col(mapped.primary.span.start).line, 3);
    assert_eq!(mapped.primary.precision, Precision::Exact);
    assert_eq!(mapped.related.len(), 1);
    let template = sources.get(mapped.related[0].origin.source);
    assert!(template.name.ends_with("agent/templates/ds.yaml"));
    assert_eq!(
        template.line_col(mapped.related[0].origin.span.start).line,
        6
    );
    assert_eq!(rendered.info.release.as_deref(), Some("release"));
    assert_eq!(rendered.info.values.len(), 2);
    assert_eq!(rendered.info.command[0..3], ["helm", "template", "release"]);
}

#[test]
fn the_chart_of_a_file_is_the_outermost_chart() {
    let charts = test_charts("chart-of");
    assert_eq!(
        helm::chart_of(&data(&charts, "agent/templates/ds.yaml")),
        Some(data(&charts, "agent"))
    );
    assert_eq!(
        helm::chart_of(&data(&charts, "agent/values.yaml")),
        Some(data(&charts, "agent"))
    );
    assert_eq!(
        helm::chart_of(&data(&charts, "agent")),
        Some(data(&charts, "agent"))
    );
    assert_eq!(helm::chart_of(&root().join("tests/data")), None);
    assert!(helm::is_chart(&data(&charts, "agent")));
    assert!(!helm::is_chart(&data(&charts, "agent/templates")));
}
