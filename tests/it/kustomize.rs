//! Kustomize (issue 20): entry points and used files of a tree, builds with the real kubectl
//! (kustomize v5.7.1 built in), and the map from the built text to the line that set each
//! field, checked against hand-written truth (`tests/data/kustomize-truth/`) on the 4 real
//! layouts of `../shared/kustomize` and on our own layouts (`tests/data/kustomize/`).
#![allow(clippy::print_stderr)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use daemonlint::diagnostic::Diagnostic;
use daemonlint::render::kustomize::{self, Options};
use daemonlint::source_map::{Mapped, Origin, Precision, Sources};

use crate::common;

/// The directory with the real helm and kubectl (see `common::k8s_tools`).
fn tools() -> Option<PathBuf> {
    crate::common::k8s_tools()
}

fn options(bin: &Path) -> Options {
    Options {
        kubectl: Some(bin.join("kubectl")),
        ..Options::default()
    }
}

fn shared() -> Option<PathBuf> {
    let dir = common::root().join("../shared/kustomize");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared/kustomize is absent (CI always has it)");
        None
    }
}

fn own() -> PathBuf {
    common::root().join("tests/data/kustomize")
}

fn truth_dir() -> PathBuf {
    common::root().join("tests/data/kustomize-truth")
}

/// Lint the built text as one in-memory file.
fn lint_built(name: &str, text: &str) -> Vec<Diagnostic> {
    let source = daemonlint::source::SourceFile::new(name, text);
    let settings = daemonlint::settings::Settings::default();
    daemonlint::Linter::new(&settings)
        .check_source(source, None)
        .diagnostics
}

#[derive(Debug, Clone)]
struct Row {
    rule: String,
    container: String,
    path: String,
    primary: String,
    precision: Precision,
    labels: Vec<String>,
}

fn read_rows(file: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 6, "{}: short row {line:?}", file.display());
            Row {
                rule: cols[0].into(),
                container: cols[1].into(),
                path: cols[2].into(),
                primary: cols[3].into(),
                precision: match cols[4] {
                    "exact" => Precision::Exact,
                    "line" => Precision::Line,
                    "file" => Precision::File,
                    other => panic!("{}: precision {other:?}", file.display()),
                },
                labels: cols[5]
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            }
        })
        .collect()
}

/// `entry → truth file` pairs of a builds index.
fn read_builds(file: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(truth_dir().join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("entry\t") && !l.trim().is_empty())
        .map(|l| {
            let (entry, truth) = l.split_once('\t').unwrap();
            (entry.to_string(), truth.to_string())
        })
        .collect()
}

fn place(sources: &Sources, origin: &Origin) -> String {
    let entry = sources.get(origin.source);
    if origin.precision == Precision::File {
        return entry.name.clone();
    }
    format!("{}:{}", entry.name, entry.line_col(origin.span.start).line)
}

/// Precision counts over every finding's primary place.
#[derive(Default, Debug)]
struct Figures {
    exact: usize,
    line: usize,
    file: usize,
}

impl Figures {
    fn add(&mut self, p: Precision) {
        match p {
            Precision::Exact => self.exact += 1,
            Precision::Line => self.line += 1,
            Precision::File => self.file += 1,
        }
    }
    fn total(&self) -> usize {
        self.exact + self.line + self.file
    }
}

/// The mapped line says what the built text says: an `Exact` span holds the same bytes; a
/// `Line` place's line (or the line above, a JSON 6902 `path:`) holds the built node's key or
/// its value, or starts the list item the built node is. Re-derived from the texts alone.
fn agrees(
    sources: &Sources,
    built: &str,
    finding: daemonlint::source::Span,
    origin: &Origin,
) -> bool {
    let entry = sources.get(origin.source);
    let text = &entry.text;
    match origin.precision {
        Precision::File => true,
        Precision::Exact => text.get(origin.span.range()) == built.get(finding.range()),
        Precision::Line => {
            let built_line_start = built[..finding.start as usize]
                .rfind('\n')
                .map_or(0, |n| n + 1);
            let built_line_end = built[finding.start as usize..]
                .find('\n')
                .map_or(built.len(), |n| finding.start as usize + n);
            let built_line = built[built_line_start..built_line_end]
                .trim()
                .trim_start_matches("- ");
            let (key, value) = built_line.split_once(':').unwrap_or((built_line, ""));
            let value = value.trim();
            let tag = value.rsplit(':').next().unwrap_or(value);
            let line = entry.line_col(origin.span.start).line as usize - 1;
            let lines: Vec<&str> = text.lines().collect();
            let near = lines[line.saturating_sub(1)..=line].join("\n");
            let here = lines[line];
            // A list item (a volume, a mount): its first origin line is one of its built lines.
            let origin_line = here.trim().trim_start_matches("- ");
            let item = built
                .get(finding.range())
                .unwrap_or("")
                .lines()
                .any(|l| l.trim().trim_start_matches("- ") == origin_line);
            here.contains(key.trim())
                || (!value.is_empty() && (here.contains(value) || here.contains(tag)))
                || near.contains(&format!("/{}", key.trim()))
                || (finding.len() > built_line.len() && item)
        }
    }
}

struct Outcome {
    figures: Figures,
    problems: Vec<String>,
    findings: usize,
}

/// Build `entry` under `root`, lint, map every DaemonSet finding and compare with `rows`.
fn check_build(root: &Path, entry: &str, rows: &[Row], bin: &Path, out: &mut Outcome) {
    let sources = Sources::new();
    let build = kustomize::build(&root.join(entry), entry, &sources, &options(bin));
    let Some(rendered) = build.rendered else {
        out.problems
            .push(format!("{entry}: no build: {:?}", build.errors));
        return;
    };
    assert_eq!(rendered.info.command, ["kubectl", "kustomize", entry]);
    assert_eq!(rendered.info.entry, entry);
    let built = sources.get(rendered.source).text.clone();
    let mut unmatched: Vec<&Row> = rows.iter().collect();
    for d in lint_built(&sources.get(rendered.source).name, &built) {
        let daemonset = d.object.as_ref().is_some_and(|o| o.kind == "DaemonSet");
        if !daemonset && d.rule != "missing-config-reference" {
            continue;
        }
        out.findings += 1;
        let path = d.path.clone().unwrap_or_default();
        let container = d.container.clone().unwrap_or_default();
        let mapped: Mapped = rendered.map.map(d.span, d.path.as_deref());
        out.figures.add(mapped.primary.precision);
        let got = place(&sources, &mapped.primary);
        if !agrees(&sources, &built, d.span, &mapped.primary) {
            out.problems.push(format!(
                "{entry}: {} {path}: {got} ({:?}) does not hold what the built text says",
                d.rule, mapped.primary.precision
            ));
        }
        let Some(at) = unmatched
            .iter()
            .position(|r| r.rule == d.rule && r.path == path && r.container == container)
        else {
            out.problems.push(format!(
                "{entry}: finding {} {container} {path} has no truth row (mapped to {got})",
                d.rule
            ));
            continue;
        };
        let row = unmatched.remove(at);
        if got != row.primary {
            out.problems.push(format!(
                "{entry}: {} {container} {path}: mapped to {got}, truth {}",
                d.rule, row.primary
            ));
        }
        if mapped.primary.precision > row.precision {
            out.problems.push(format!(
                "{entry}: {} {path}: claims {:?} where only {:?} is honest",
                d.rule, mapped.primary.precision, row.precision
            ));
        }
        let labels: Vec<String> = d
            .labels
            .iter()
            .map(|l| {
                let m = rendered.map.map(l.span, None);
                if !agrees(&sources, &built, l.span, &m.primary) {
                    out.problems.push(format!(
                        "{entry}: {} {path}: label mapped to a line that does not hold it",
                        d.rule
                    ));
                }
                place(&sources, &m.primary)
            })
            .collect();
        if labels != row.labels {
            out.problems.push(format!(
                "{entry}: {} {container} {path}: labels {labels:?}, truth {:?}",
                d.rule, row.labels
            ));
        }
    }
    for row in unmatched {
        out.problems.push(format!(
            "{entry}: truth row {} {} {} was not reported",
            row.rule, row.container, row.path
        ));
    }
}

fn check_index(root: &Path, index: &str, bin: &Path) -> Outcome {
    let mut out = Outcome {
        figures: Figures::default(),
        problems: Vec::new(),
        findings: 0,
    };
    for (entry, truth) in read_builds(index) {
        let rows = read_rows(&truth_dir().join(&truth));
        check_build(root, &entry, &rows, bin, &mut out);
    }
    out
}

fn report(name: &str, out: &Outcome) {
    let f = &out.figures;
    let total = f.total().max(1) as f64;
    eprintln!(
        "{name}: {} findings mapped: exact {} ({:.0}%), line {} ({:.0}%), file {} ({:.0}%)",
        f.total(),
        f.exact,
        100.0 * f.exact as f64 / total,
        f.line,
        100.0 * f.line as f64 / total,
        f.file,
        100.0 * f.file as f64 / total
    );
}

#[test]
fn the_shared_layouts_map_every_finding_to_the_hand_written_line() {
    let (Some(root), Some(bin)) = (shared(), tools()) else {
        return;
    };
    let out = check_index(&root, "builds.tsv", &bin);
    report("../shared/kustomize", &out);
    assert!(out.problems.is_empty(), "{}", out.problems.join("\n"));
    // 13 + 4 × 13 (aws) + 3 × 8 (native) + 2 × 33 (frr) + 2 × 21 (linode) + 21 (flannel).
    assert_eq!(out.findings, 13 * 5 + 8 * 3 + 33 * 2 + 21 * 2 + 21);
    assert_eq!(out.figures.file, 0, "every finding has its line");
}

#[test]
fn our_layouts_map_patches_transformers_and_components_to_their_lines() {
    let Some(bin) = tools() else { return };
    let out = check_index(&own(), "own-builds.tsv", &bin);
    report("tests/data/kustomize", &out);
    assert!(out.problems.is_empty(), "{}", out.problems.join("\n"));
    assert_eq!(out.findings, 2 + 12 + 1 + 4);
}

#[test]
fn the_issue_reproducer_reports_the_patch_line_and_never_the_patch_alone() {
    let Some(bin) = tools() else { return };
    let tree = kustomize::scan(&[own().join("repro")]);
    assert!(
        tree.entries.is_empty(),
        "a directory without a kustomization file is no entry"
    );
    let walk = [
        own().join("repro/base/kustomization.yaml"),
        own().join("repro/base/ds.yaml"),
        own().join("repro/overlays/prod/kustomization.yaml"),
        own().join("repro/overlays/prod/patch.yaml"),
    ];
    let tree = kustomize::scan(&walk);
    let rel = |p: &Path| {
        p.strip_prefix(std::fs::canonicalize(own()).unwrap())
            .unwrap()
            .to_path_buf()
    };
    assert_eq!(
        tree.entries.iter().map(|p| rel(p)).collect::<Vec<_>>(),
        [PathBuf::from("repro/overlays/prod")]
    );
    // Every file of the walk is used by the overlay: none is linted alone.
    for file in &walk {
        assert!(
            tree.uses(file),
            "{} is linted through the overlay",
            file.display()
        );
    }
    let sources = Sources::new();
    let build = kustomize::build(
        &own().join("repro/overlays/prod"),
        "overlays/prod",
        &sources,
        &options(&bin),
    );
    assert!(build.errors.is_empty(), "{:?}", build.errors);
    let rendered = build.rendered.unwrap();
    let built = sources.get(rendered.source).text.clone();
    let findings = lint_built("built", &built);
    let privileged = findings
        .iter()
        .find(|d| d.rule == "privileged-container")
        .expect("privileged-container on the built DaemonSet");
    let mapped = rendered
        .map
        .map(privileged.span, privileged.path.as_deref());
    assert_eq!(
        place(&sources, &mapped.primary),
        "overlays/prod/patch.yaml:11"
    );
    assert_eq!(mapped.primary.precision, Precision::Exact);
    let origin = sources.get(mapped.primary.source);
    assert_eq!(&origin.text[mapped.primary.span.range()], "true");
    // The edited files of the build (for the language server's re-lint).
    let inputs: BTreeSet<String> = build
        .inputs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        inputs,
        ["ds.yaml", "kustomization.yaml", "patch.yaml"]
            .into_iter()
            .map(String::from)
            .collect()
    );
    assert!(!findings.iter().any(|d| d.rule == "missing-selector"));
}

#[test]
fn entry_points_are_overlays_and_unused_bases() {
    let Some(root) = shared() else { return };
    let tree = kustomize::scan(std::slice::from_ref(&root));
    assert!(
        tree.entries.is_empty(),
        "the shared root has no kustomization"
    );
    let mut walk = Vec::new();
    collect(&root, &mut walk);
    let tree = kustomize::scan(&walk);
    let root = std::fs::canonicalize(&root).unwrap();
    let entries: Vec<String> = tree
        .entries
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        entries,
        [
            "aws-ebs-csi-driver/deploy/kubernetes/overlays/stable",
            "aws-ebs-csi-driver/deploy/kubernetes/overlays/stable/ecr",
            "aws-ebs-csi-driver/deploy/kubernetes/overlays/stable/gcr",
            "flannel/Documentation/kustomization/kube-flannel",
            "linode-blockstorage-csi-driver/deploy/kubernetes/overlays/dev",
            "metallb/config/frr-k8s-external",
            "metallb/config/networkpolicies",
            "metallb/config/prometheus-frr",
            "metallb/config/prometheus-native",
        ]
    );
    let used = |p: &str| tree.uses(&root.join(p));
    assert!(used("metallb/config/controllers/speaker.yaml"));
    assert!(used("metallb/config/frr/speaker-patch.yaml"));
    assert!(used("aws-ebs-csi-driver/deploy/kubernetes/base/node.yaml"));
    // Not listed by its kustomization: linted alone, as before.
    assert!(!used(
        "aws-ebs-csi-driver/deploy/kubernetes/base/node-windows.yaml"
    ));
    assert!(!used(
        "metallb/config/prometheus-native/rbac-proxy-patch.yaml"
    ));
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn our_tree_has_its_overlays_as_entries_and_components_as_used() {
    let mut walk = Vec::new();
    collect(&own(), &mut walk);
    let tree = kustomize::scan(&walk);
    let root = std::fs::canonicalize(own()).unwrap();
    let entries: Vec<String> = tree
        .entries
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        entries,
        [
            "broken/missing-file",
            "broken/unknown-field",
            "broken/unmatched-patch",
            "features/overlays/staging",
            "remote",
            "repro/overlays/prod",
            "stack/top",
        ]
    );
    for file in [
        "features/components/host-network/host-network.yaml",
        "features/components/host-network/kustomization.yaml",
        "features/overlays/staging/sm-patch.yaml",
        "features/overlays/staging/json-patch.yaml",
        "features/base/ds.yaml",
    ] {
        assert!(tree.uses(&root.join(file)), "{file}");
    }
}

#[test]
fn related_places_name_what_a_patch_or_transformer_overrode() {
    let Some(bin) = tools() else { return };
    let sources = Sources::new();
    let build = kustomize::build(
        &own().join("features/overlays/staging"),
        "features/overlays/staging",
        &sources,
        &options(&bin),
    );
    let rendered = build.rendered.expect("builds");
    let built = sources.get(rendered.source).text.clone();
    let findings = lint_built("built", &built);
    let find = |rule: &str, container: &str| {
        let d = findings
            .iter()
            .find(|d| d.rule == rule && d.container.as_deref() == Some(container))
            .unwrap();
        rendered.map.map(d.span, d.path.as_deref())
    };
    let image = find("image-tag-latest", "agent");
    assert_eq!(
        place(&sources, &image.primary),
        "features/overlays/staging/kustomization.yaml:15"
    );
    assert_eq!(
        image
            .related
            .iter()
            .map(|r| place(&sources, &r.origin))
            .collect::<Vec<_>>(),
        ["features/base/ds.yaml:25"]
    );
    let limits = find("missing-resource-limits", "agent");
    let limits_related: Vec<String> = limits
        .related
        .iter()
        .map(|r| place(&sources, &r.origin))
        .collect();
    assert_eq!(
        limits_related,
        ["features/overlays/staging/sm-patch.yaml:10"]
    );
    assert!(limits
        .related
        .iter()
        .all(|r| r.origin.precision <= Precision::Line));
    // Generated names resolve to the generator line, and the reference resolves in the build.
    let generated = build.map.unwrap().generated();
    assert_eq!(generated.len(), 1, "{generated:?}");
    assert!(generated[0].name.starts_with("staging-agent-config-"));
    assert_eq!(generated[0].generator, "agent-config");
    assert_eq!(
        place(&sources, &generated[0].origin),
        "features/overlays/staging/kustomization.yaml:17"
    );
    assert!(!findings
        .iter()
        .any(|d| d.rule == "missing-config-reference"));
}

#[test]
fn transformer_fields_map_to_their_kustomization_lines() {
    let Some(bin) = tools() else { return };
    let sources = Sources::new();
    let build = kustomize::build(
        &own().join("stack/top"),
        "stack/top",
        &sources,
        &options(&bin),
    );
    let rendered = build.rendered.expect("builds");
    let built = sources.get(rendered.source).text.clone();
    // Each occurrence of a text in the built DaemonSet, mapped by its span alone.
    let map_at = |needle: &str, nth: usize| {
        let start = built.match_indices(needle).nth(nth).unwrap().0;
        let m = rendered.map.map(
            daemonlint::source::Span::new(start, start + needle.len()),
            None,
        );
        (place(&sources, &m.primary), m.primary.precision)
    };
    let ds = built.find("kind: DaemonSet").unwrap();
    let tail = |needle: &str| built[ds..].find(needle).unwrap() + ds;
    let name = tail("mid-agent-top");
    let m = rendered.map.map(
        daemonlint::source::Span::new(name, name + 13),
        Some("metadata.name"),
    );
    // The name is composed (prefix, suffix): the last transformer's line, not an exact span.
    assert_eq!(
        place(&sources, &m.primary),
        "stack/top/kustomization.yaml:3"
    );
    assert_eq!(m.primary.precision, Precision::Line);
    // `labels` with includeTemplates: the object's and the template's label, not the selector.
    let count = built.matches("tier: node").count();
    assert_eq!(count, 2, "{built}");
    for nth in 0..count {
        let value = built.match_indices("tier: node").nth(nth).unwrap().0 + "tier: ".len();
        let m = rendered
            .map
            .map(daemonlint::source::Span::new(value, value + 4), None);
        assert_eq!(
            place(&sources, &m.primary),
            "stack/top/kustomization.yaml:6"
        );
        assert_eq!(m.primary.precision, Precision::Exact);
    }
    // The base's own label is the base's.
    assert_eq!(map_at("app: agent", 0).0, "stack/base/ds.yaml:6");
    // The renamed image: the patch's line, the images entry related.
    let image = tail("registry.local/agent:latest");
    let m = rendered.map.map(
        daemonlint::source::Span::new(image, image + 27),
        Some("spec.template.spec.containers[0].image"),
    );
    assert_eq!(place(&sources, &m.primary), "stack/mid/tag.yaml:10");
    assert_eq!(
        m.related
            .iter()
            .map(|r| place(&sources, &r.origin))
            .collect::<Vec<_>>(),
        ["stack/top/kustomization.yaml:11"]
    );
}

#[test]
fn a_remote_base_is_reported_at_its_line_and_the_rest_is_built() {
    let Some(bin) = tools() else { return };
    let sources = Sources::new();
    let build = kustomize::build(&own().join("remote"), "remote", &sources, &options(&bin));
    let errors: Vec<(String, String)> = build
        .errors
        .iter()
        .map(|e| (place(&sources, &e.origin.unwrap()), e.message.clone()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, "remote/kustomization.yaml:3");
    assert!(
        errors[0]
            .1
            .starts_with("remote resource `https://github.com/example/agents"),
        "{}",
        errors[0].1
    );
    assert!(errors[0].1.contains("not fetched"), "{}", errors[0].1);
    // A remote component in a flow list, reported the same way.
    assert_eq!(errors[1].0, "remote/kustomization.yaml:4");
    assert!(
        errors[1]
            .1
            .starts_with("remote component `github.com/example/agents"),
        "{}",
        errors[1].1
    );
    assert!(build.errors.iter().all(|e| !e.missing_tool));
    assert!(build
        .errors
        .iter()
        .all(|e| e.origin.unwrap().precision == Precision::Exact));
    // The rest is built (with the generator's file, which the copy without remotes needs).
    let rendered = build.rendered.expect("the local resources still build");
    let built = sources.get(rendered.source).text.clone();
    assert!(built.contains("hostPID: true"));
    assert!(built.contains("level=info"));
}

#[test]
fn editing_a_base_or_patch_names_the_overlays_to_relint() {
    let mut walk = Vec::new();
    collect(&own(), &mut walk);
    let tree = kustomize::scan(&walk);
    let root = std::fs::canonicalize(own()).unwrap();
    let users = |file: &str| -> Vec<String> {
        tree.entries_using(&own().join(file))
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect()
    };
    assert_eq!(users("repro/base/ds.yaml"), ["repro/overlays/prod"]);
    assert_eq!(
        users("repro/overlays/prod/patch.yaml"),
        ["repro/overlays/prod"]
    );
    assert_eq!(
        users("features/components/host-network/host-network.yaml"),
        ["features/overlays/staging"]
    );
    assert_eq!(users("remote/agent.conf"), ["remote"]);
    assert!(users("features/README-not-here.yaml").is_empty());
    let Some(shared) = shared() else { return };
    let mut walk = Vec::new();
    collect(&shared, &mut walk);
    let tree = kustomize::scan(&walk);
    let root = std::fs::canonicalize(&shared).unwrap();
    let users: Vec<String> = tree
        .entries_using(&shared.join("metallb/config/controllers/speaker.yaml"))
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        users,
        [
            "metallb/config/frr-k8s-external",
            "metallb/config/prometheus-frr",
            "metallb/config/prometheus-native",
        ]
    );
}

#[test]
fn the_line_check_rejects_a_wrong_line() {
    // The check that re-derives each mapped line must be able to fail: the same finding mapped
    // one line off, or to bytes that differ, is refused.
    let sources = Sources::new();
    let origin = sources.add("ds.yaml", "spec:\n  hostNetwork: true\n  hostPID: false\n");
    let built = "spec:\n  hostNetwork: true\n";
    let finding = daemonlint::source::Span::new(built.find("true").unwrap(), built.len() - 1);
    let at = |line: usize, precision| Origin {
        source: origin,
        span: sources.get(origin).line_span(line),
        precision,
    };
    assert!(agrees(&sources, built, finding, &at(1, Precision::Line)));
    assert!(!agrees(&sources, built, finding, &at(2, Precision::Line)));
    assert!(!agrees(&sources, built, finding, &at(0, Precision::Line)));
    let exact = |start: usize, end: usize| Origin {
        source: origin,
        span: daemonlint::source::Span::new(start, end),
        precision: Precision::Exact,
    };
    assert!(agrees(&sources, built, finding, &exact(21, 25)));
    assert!(!agrees(&sources, built, finding, &exact(38, 42)));
}

#[test]
fn kustomize_errors_point_at_the_kustomization_line() {
    let Some(bin) = tools() else { return };
    for (dir, line, says) in [
        ("broken/missing-file", 3, "missing.yaml"),
        ("broken/unknown-field", 3, "namePrefx"),
        // The patch names no namespace, the resource has one: the patch's entry.
        ("broken/unmatched-patch", 4, "no resource matches"),
    ] {
        let sources = Sources::new();
        let build = kustomize::build(&own().join(dir), dir, &sources, &options(&bin));
        assert!(build.rendered.is_none());
        assert_eq!(build.errors.len(), 1, "{:?}", build.errors);
        let error = &build.errors[0];
        assert!(
            error
                .message
                .starts_with(&format!("kustomize could not build `{dir}`")),
            "{}",
            error.message
        );
        assert!(error.message.contains(says), "{}", error.message);
        // The absolute build directory is not echoed back.
        assert!(
            !error.message.contains(&own().display().to_string()),
            "{}",
            error.message
        );
        let origin = error.origin.unwrap();
        assert_eq!(
            place(&sources, &origin),
            format!("{dir}/kustomization.yaml:{line}")
        );
        assert_ne!(origin.precision, Precision::File);
    }
}

#[test]
fn a_missing_kubectl_is_a_missing_tool() {
    let sources = Sources::new();
    let build = kustomize::build(
        &own().join("repro/overlays/prod"),
        "repro/overlays/prod",
        &sources,
        &Options {
            kubectl: Some(PathBuf::from("daemonlint-no-such-kubectl")),
            ..Options::default()
        },
    );
    assert!(build.rendered.is_none());
    assert_eq!(build.errors.len(), 1);
    assert!(build.errors[0].missing_tool);
    assert!(
        build.errors[0]
            .message
            .contains("daemonlint-no-such-kubectl"),
        "{}",
        build.errors[0].message
    );
    assert!(
        build.errors[0].message.contains("install kubectl"),
        "{}",
        build.errors[0].message
    );
}

#[cfg(unix)]
#[test]
fn a_hanging_kustomize_is_stopped_at_the_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("kustomize");
    std::fs::write(&fake, "#!/bin/sh\nsleep 30\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sources = Sources::new();
    let started = std::time::Instant::now();
    let build = kustomize::build(
        &own().join("repro/overlays/prod"),
        "repro/overlays/prod",
        &sources,
        &Options {
            kustomize: Some(fake),
            timeout: Duration::from_millis(300),
            ..Options::default()
        },
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(build.rendered.is_none());
    let error = &build.errors[0];
    assert!(
        error.message.contains("did not finish"),
        "{}",
        error.message
    );
    assert!(!error.missing_tool);
    assert_eq!(
        place(&sources, &error.origin.unwrap()),
        "repro/overlays/prod/kustomization.yaml"
    );
}

#[test]
fn a_base_finding_shared_by_overlays_is_reported_once_naming_them() {
    let (Some(root), Some(bin)) = (shared(), tools()) else {
        return;
    };
    let sources = Sources::new();
    let mut all = Vec::new();
    let overlays = [
        "aws-ebs-csi-driver/deploy/kubernetes/overlays/stable",
        "aws-ebs-csi-driver/deploy/kubernetes/overlays/stable/ecr",
        "aws-ebs-csi-driver/deploy/kubernetes/overlays/stable/gcr",
    ];
    for entry in overlays {
        let build = kustomize::build(&root.join(entry), entry, &sources, &options(&bin));
        let rendered = build.rendered.expect("builds");
        let built = sources.get(rendered.source).text.clone();
        for d in lint_built(entry, &built) {
            let mapped = rendered.map.map(d.span, d.path.as_deref());
            all.push((entry.to_string(), (d.rule.to_string(), mapped)));
        }
    }
    assert_eq!(all.len(), 3 * 13);
    let shared =
        kustomize::dedupe_by_origin(all, |(rule, mapped)| kustomize::origin_key(rule, mapped));
    assert_eq!(shared.len(), 13);
    for s in &shared {
        assert_eq!(s.overlays, overlays);
        let name = &sources.get(s.item.1.primary.source).name;
        assert_eq!(name, "aws-ebs-csi-driver/deploy/kubernetes/base/node.yaml");
    }
}
