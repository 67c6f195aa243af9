#![allow(clippy::unwrap_used)]
//! A streamed run (findings written as batches of files, and windows of large files, are
//! linted) reports exactly what a collected run reports: the same findings at the same
//! positions, in the same order within each file, with the run-level findings last.

use crate::common;

use std::path::{Path, PathBuf};

use daemonlint::config::{Selector, Settings};
use daemonlint::report::{self, FormatEmitter, OutputFormat, RenderOptions};
use serde_json::Value;

/// Rules whose findings need every file (they come last in a streamed run).
const RUN_LEVEL: &[&str] = &[
    "pod-security-admission",
    "missing-service-account",
    "cluster-admin-binding",
    "missing-config-reference",
];

/// Whether a finding of a JSON report comes from the run-level phase: a run-level rule, or
/// `missing-priority-class` about a class it looked up among the other files' PriorityClasses.
fn is_late(d: &Value) -> bool {
    let rule = d["rule"].as_str().unwrap();
    RUN_LEVEL.contains(&rule)
        || rule == "missing-priority-class"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("is neither built in")
}

const OPTIONS: RenderOptions<'static> = RenderOptions {
    color: false,
    summary: true,
    src_root: None,
};

fn collected(paths: &[PathBuf], settings: &Settings, format: OutputFormat) -> Vec<u8> {
    let report = daemonlint::Linter::new(settings).report(&daemonlint::Inputs::paths(paths));
    let mut out = Vec::new();
    report::emit(format, &report, OPTIONS, &mut out).unwrap();
    out
}

fn streamed(
    paths: &[PathBuf],
    settings: &Settings,
    window: usize,
    format: OutputFormat,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = FormatEmitter::new(format, OPTIONS, &mut out).unwrap();
    daemonlint::Linter::new(settings)
        .window(window)
        .run(&daemonlint::Inputs::paths(paths), &mut stream)
        .unwrap();
    drop(stream);
    out
}

/// The findings of a JSON report: (own findings in order, run-level findings sorted).
fn split(json: &[u8]) -> (Value, Vec<String>, Vec<String>) {
    let v: Value = serde_json::from_slice(json).unwrap();
    let mut own = Vec::new();
    let mut late = Vec::new();
    for d in v["diagnostics"].as_array().unwrap() {
        if is_late(d) {
            late.push(d.to_string());
        } else {
            own.push(d.to_string());
        }
    }
    late.sort();
    (v["summary"].clone(), own, late)
}

fn assert_same(paths: &[PathBuf], settings: &Settings, window: usize) -> usize {
    let whole = collected(paths, settings, OutputFormat::Json);
    let parts = streamed(paths, settings, window, OutputFormat::Json);
    let (summary, own, late) = split(&whole);
    let (s_summary, s_own, s_late) = split(&parts);
    assert_eq!(summary, s_summary, "window {window}");
    assert_eq!(own.len(), s_own.len(), "window {window}");
    for (i, (a, b)) in own.iter().zip(&s_own).enumerate() {
        assert_eq!(a, b, "finding {i}, window {window}");
    }
    assert_eq!(late, s_late, "window {window}");
    // Run-level findings come after every other one.
    let v: Value = serde_json::from_slice(&parts).unwrap();
    let diagnostics = v["diagnostics"].as_array().unwrap();
    let first_late = diagnostics.iter().position(is_late);
    if let Some(first) = first_late {
        assert!(diagnostics[first..].iter().all(is_late), "window {window}");
    }
    own.len() + late.len()
}

/// Every fixture manifest (not the configuration-file fixtures) as one multi-document file,
/// with CRLF line ends when `crlf`, and a UTF-8 BOM when `bom`.
fn concatenated(dir: &Path, crlf: bool, bom: bool) -> PathBuf {
    let mut files: Vec<PathBuf> = walk(&common::root().join("fixtures"))
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("invalid-config"))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut text = String::new();
    if bom {
        text.push('\u{feff}');
    }
    for f in files {
        // (Dangling links and non-UTF-8 files have fixtures of their own.)
        let Ok(body) = std::fs::read_to_string(&f) else {
            continue;
        };
        // Directives would apply to the document after them only.
        if body.trim_start().starts_with('%') {
            continue;
        }
        text.push_str("---\n");
        text.push_str(&body);
        if !body.ends_with('\n') {
            text.push('\n');
        }
    }
    if crlf {
        text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    let path = dir.join(format!("all-{crlf}-{bom}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn all_rules() -> Settings {
    let mut settings = Settings::default();
    settings.selection.select = Some(vec![Selector::All]);
    settings
}

#[test]
fn a_large_file_window_by_window_reports_what_the_whole_file_does() {
    let dir = tempfile::tempdir().unwrap();
    for (crlf, bom) in [(false, false), (true, true)] {
        let big = concatenated(dir.path(), crlf, bom);
        let len = std::fs::metadata(&big).unwrap().len() as usize;
        assert!(len > 100_000, "{len}");
        for window in [1 << 10, 7 << 10, 64 << 10, len + 1] {
            for settings in [Settings::default(), all_rules()] {
                let n = assert_same(std::slice::from_ref(&big), &settings, window);
                assert!(n > 500, "{n} findings");
            }
        }
    }
}

#[test]
fn run_level_findings_across_files_point_into_every_file() {
    // A Namespace that enforces `restricted` in one file, the DaemonSets in a large file.
    let dir = tempfile::tempdir().unwrap();
    let big = concatenated(dir.path(), false, false);
    let ns = dir.path().join("namespace.yaml");
    std::fs::write(
        &ns,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n  labels:\n    \
         pod-security.kubernetes.io/enforce: restricted\n",
    )
    .unwrap();
    let paths = vec![big, ns];
    let late = {
        let (_, _, late) = split(&streamed(
            &paths,
            &Settings::default(),
            4 << 10,
            OutputFormat::Json,
        ));
        late
    };
    assert!(
        late.iter()
            .any(|d| d.contains("\"rule\":\"pod-security-admission\"")
                && d.contains("namespace.yaml")),
        "{late:?}"
    );
    for window in [4 << 10, 1 << 20] {
        assert_same(&paths, &Settings::default(), window);
    }
}

#[test]
fn directories_stream_like_they_collect() {
    let fixtures = common::root().join("fixtures");
    assert_same(
        std::slice::from_ref(&fixtures),
        &Settings::default(),
        4 << 20,
    );
    assert_same(std::slice::from_ref(&fixtures), &all_rules(), 2 << 10);
}

#[test]
fn the_shared_corpus_streams_like_it_collects() {
    let Some(corpus) = common::shared_corpus() else {
        return;
    };
    for window in [8 << 10, 4 << 20] {
        assert_same(std::slice::from_ref(&corpus), &Settings::default(), window);
    }
}

#[test]
fn text_formats_stream_the_same_lines() {
    // Concise and full output of a file read in windows: the same lines as the whole file
    // (no run-level findings here, so the order is the same too).
    let dir = tempfile::tempdir().unwrap();
    let big = concatenated(dir.path(), true, false);
    let paths = [big];
    for format in [OutputFormat::Concise, OutputFormat::Full] {
        let whole = collected(&paths, &Settings::default(), format);
        let parts = streamed(&paths, &Settings::default(), 3 << 10, format);
        let whole = String::from_utf8(whole).unwrap();
        let parts = String::from_utf8(parts).unwrap();
        let mut a: Vec<&str> = whole.lines().collect();
        let mut b: Vec<&str> = parts.lines().collect();
        assert_eq!(a.len(), b.len(), "{format:?}");
        if a != b {
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{format:?}");
        }
    }
}

#[test]
fn large_files_that_are_not_plain_utf8_are_linted_whole() {
    // Invalid UTF-8 far into the file, UTF-16, a NUL byte, over the size limit: the same
    // diagnostics as when the whole file is read.
    let dir = tempfile::tempdir().unwrap();
    let big = std::fs::read(concatenated(dir.path(), false, false)).unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let mut late_invalid = big.clone();
    late_invalid.extend_from_slice(b"---\nkind: DaemonSet\nmetadata: {name: \xff}\n");
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in String::from_utf8(big.clone()).unwrap().encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let mut nul = big.clone();
    nul.insert(100, 0);
    let paths = [
        write("late-invalid.yaml", late_invalid),
        write("utf16.yaml", utf16),
        write("nul.yaml", nul),
    ];
    for path in &paths {
        assert_same(std::slice::from_ref(path), &Settings::default(), 2 << 10);
    }
    let mut small_limit = Settings::default();
    small_limit.max_file_size = 50_000;
    let over = write("over.yaml", big);
    let json = streamed(
        std::slice::from_ref(&over),
        &small_limit,
        2 << 10,
        OutputFormat::Json,
    );
    assert!(
        String::from_utf8_lossy(&json).contains("over the 50000-byte limit"),
        "{}",
        String::from_utf8_lossy(&json)
    );
    assert_same(std::slice::from_ref(&over), &small_limit, 2 << 10);
}
