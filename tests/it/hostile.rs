#![allow(clippy::unwrap_used)]
//! Hostile input: every case ends in a clear finding (rule id asserted), in bounded time, and
//! the normal fixture linted in the same run keeps its findings.
//!
//! What can be simulated when the tests run as root (root ignores mode bits, so a `chmod 000`
//! file is still readable): an unreadable path is a dangling symlink, a file that vanished
//! between discovery and reading is a removed path, and a FIFO stands for every non-regular file.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daemonlint::config::Settings;
use daemonlint::diagnostic::Diagnostic;
use daemonlint::Report;

const FIXTURE: &str = "fixtures/host-network/fail-hostnetwork.yaml";
/// The time a case may take. An unbounded case (quadratic in 100,000 keys, an alias bomb
/// expanded) takes minutes; an unoptimised build on a loaded 2-core machine needs ~3 s for the
/// largest case here, hence the wider bound there.
const BOUND: Duration = Duration::from_secs(if cfg!(debug_assertions) { 15 } else { 5 });

fn fixture_text() -> String {
    std::fs::read_to_string(common::root().join(FIXTURE)).unwrap()
}

/// Lint `hostile` together with the normal fixture; check the time bound and the fixture's
/// findings; return the findings of the hostile path.
fn lint_beside_fixture(hostile: &Path) -> (Report, Vec<Diagnostic>) {
    let fixture = common::root().join(FIXTURE);
    let started = Instant::now();
    let report =
        daemonlint::Linter::new(&Settings::default()).report(&daemonlint::Inputs::paths(&[
            hostile.to_path_buf(),
            fixture,
        ]));
    let took = started.elapsed();
    assert!(took < BOUND, "{} took {took:?}", hostile.display());
    let fixture_rules: Vec<&str> = report
        .diagnostics()
        .filter(|(f, _)| f.source.name.ends_with(FIXTURE))
        .map(|(_, d)| d.rule.as_ref())
        .collect();
    assert!(
        fixture_rules.contains(&"host-network"),
        "the fixture lost its findings: {fixture_rules:?}"
    );
    let hostile_name = hostile.to_string_lossy().into_owned();
    let own = report
        .diagnostics()
        .filter(|(f, _)| {
            hostile_name.ends_with(f.source.name.as_str())
                || f.source.name.starts_with(hostile_name.as_str())
        })
        .map(|(_, d)| d.clone())
        .collect();
    (report, own)
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn rules(diags: &[Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.rule.as_ref()).collect()
}

/// Exactly one finding, of `rule`, whose message contains `needle`.
fn assert_single(diags: &[Diagnostic], rule: &str, needle: &str) {
    assert_eq!(rules(diags), [rule], "{diags:#?}");
    assert!(
        diags[0].message.contains(needle),
        "`{}` lacks `{needle}`",
        diags[0].message
    );
}

/// The fixture with `extra` lines inserted right after `hostNetwork: true` (pod spec level).
fn daemonset_with(extra: &str) -> String {
    fixture_text().replace(
        "      hostNetwork: true\n",
        &format!("      hostNetwork: true\n{extra}"),
    )
}

fn billion_laughs(indent: &str) -> String {
    let mut s = format!("{indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let items = vec![format!("*a{}", i - 1); 9].join(", ");
        s.push_str(&format!("{indent}a{i}: &a{i} [{items}]\n"));
    }
    s
}

#[test]
fn alias_bomb_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bomb.yaml", billion_laughs(""));
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "yaml-syntax", "alias bomb");
}

#[test]
fn alias_bomb_inside_a_daemonset_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = daemonset_with(&billion_laughs("      x"));
    let path = write(dir.path(), "ds-bomb.yaml", text);
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "yaml-syntax", "alias bomb");
}

#[test]
fn deep_flow_nesting_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "flow.yaml", "[".repeat(100_000));
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "yaml-syntax", "nesting");
}

#[test]
fn deep_block_nesting_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}x\n", "- ".repeat(100_000));
    let path = write(dir.path(), "block.yaml", text);
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "yaml-syntax", "nesting");
}

#[test]
fn deep_block_mapping_nesting_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for depth in 0..300 {
        text.push_str(&" ".repeat(depth));
        text.push_str("a:\n");
    }
    let path = write(dir.path(), "block-map.yaml", text);
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "yaml-syntax", "nesting");
}

#[test]
fn a_sparse_1_gb_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    let started = Instant::now();
    let (_, own) = lint_beside_fixture(&path);
    // Reading 1 GB of zeros would take far longer than this.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_single(
        &own,
        "yaml-syntax",
        "the file is 1073741824 bytes, over the 67108864-byte limit; daemonlint does not read it",
    );
}

#[test]
fn a_binary_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "image.yaml",
        b"\x7fELF\x02\x01\x01\x00\x00\xff\xfe",
    );
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "yaml-syntax", "binary file");
}

#[test]
fn invalid_utf8_is_reported_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "latin1.yaml",
        b"apiVersion: v1\nkind: Caf\xe9\n",
    );
    let (report, own) = lint_beside_fixture(&path);
    assert_single(&own, "yaml-syntax", "invalid byte at offset 24");
    let file = report
        .files
        .iter()
        .find(|f| f.source.name.ends_with("latin1.yaml"))
        .unwrap();
    let pos = file.source.line_col(own[0].span.start);
    assert_eq!((pos.line, pos.column), (2, 10));
}

fn utf16(le: bool) {
    let dir = tempfile::tempdir().unwrap();
    let text = fixture_text();
    let mut bytes = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if le {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    let path = write(dir.path(), "utf16.yaml", bytes);
    let (report, own) = lint_beside_fixture(&path);
    let file = report
        .files
        .iter()
        .find(|f| f.source.name.ends_with("utf16.yaml"))
        .unwrap();
    let d = own.iter().find(|d| d.rule == "host-network").unwrap();
    let (start, end) = file.source.span_positions(d.span);
    assert_eq!(
        (start.line, start.column, end.line, end.column),
        (19, 20, 19, 24)
    );
    // The same findings as the UTF-8 original.
    let original = report
        .diagnostics()
        .filter(|(f, _)| f.source.name.ends_with(FIXTURE))
        .count();
    assert_eq!(own.len(), original);
}

#[test]
fn utf16_le_with_bom_is_linted() {
    utf16(true);
}

#[test]
fn utf16_be_with_bom_is_linted() {
    utf16(false);
}

#[cfg(unix)]
#[test]
fn a_directory_symlink_loop_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", tree.join("sub/up")).unwrap();
    write(&tree, "ds.yaml", fixture_text());
    let (report, _) = lint_beside_fixture(&tree);
    let loops: Vec<_> = report
        .diagnostics()
        .filter(|(_, d)| d.message.contains("symlink loop"))
        .collect();
    assert_eq!(loops.len(), 1, "{loops:#?}");
    assert_eq!(loops[0].1.rule, "io-error");
    // The file inside the tree is linted once.
    let inside = report
        .files
        .iter()
        .filter(|f| f.source.name.ends_with("tree/ds.yaml"))
        .count();
    assert_eq!(inside, 1);
    assert_eq!(report.exit_code(Settings::default().fail_on), 2);
}

#[cfg(unix)]
#[test]
fn an_unreadable_path_is_reported() {
    // Root reads a `chmod 000` file anyway: a dangling symlink is what can be simulated.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dangling.yaml");
    std::os::unix::fs::symlink(dir.path().join("nowhere.yaml"), &path).unwrap();
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "io-error", "cannot read");
}

#[cfg(unix)]
#[test]
fn a_fifo_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let (report, own) = lint_beside_fixture(&path);
    assert_single(&own, "io-error", "not a regular file");
    assert_eq!(report.exit_code(Settings::default().fail_on), 2);
}

#[test]
fn a_file_deleted_before_reading_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gone.yaml", fixture_text());
    std::fs::remove_file(&path).unwrap();
    let mut report = daemonlint::Linter::new(&Settings::default())
        .report(&daemonlint::Inputs::paths(std::slice::from_ref(&path)));
    let report = report.files.remove(0);
    assert!(report.io_error);
    assert_single(&report.diagnostics, "io-error", "cannot read");
    let (_, own) = lint_beside_fixture(&path);
    assert_single(&own, "io-error", "cannot read");
}

/// The hostile part sits inside the fixture's DaemonSet: the usual findings must still come.
fn assert_fixture_findings(own: &[Diagnostic]) {
    let r = rules(own);
    assert!(r.contains(&"host-network"), "{r:?}");
    assert!(!r.contains(&"yaml-syntax"), "{r:?}");
}

#[test]
fn a_10_mb_single_line_scalar() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(10 << 20);
    let text = fixture_text().replace(
        "  namespace: kube-system\n",
        &format!("  namespace: kube-system\n  annotations:\n    blob: {long}\n"),
    );
    let path = write(dir.path(), "long-scalar.yaml", text);
    let (_, own) = lint_beside_fixture(&path);
    assert_fixture_findings(&own);
}

#[test]
fn a_mapping_with_100_000_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut labels = String::from("  labels:\n");
    for i in 0..100_000 {
        labels.push_str(&format!("    k{i}: {i}\n"));
    }
    let text = fixture_text().replace(
        "  namespace: kube-system\n",
        &format!("  namespace: kube-system\n{labels}"),
    );
    let path = write(dir.path(), "many-keys.yaml", text);
    let (_, own) = lint_beside_fixture(&path);
    assert_fixture_findings(&own);
}

#[test]
fn very_long_lines() {
    let dir = tempfile::tempdir().unwrap();
    let args = vec!["--flag=value"; 200_000].join(", ");
    let text = daemonset_with("").replace(
        "          image: registry.example.com/node-agent:1.4.2\n",
        &format!(
            "          image: registry.example.com/node-agent:1.4.2\n          args: [{args}]\n"
        ),
    );
    let path = write(dir.path(), "long-line.yaml", text);
    let (_, own) = lint_beside_fixture(&path);
    assert_fixture_findings(&own);
}
