#![allow(clippy::unwrap_used)]
//! Inputs that once found a bug (fuzzing, mutation, hostile-input tests). Each file is named
//! `<rule-id>--<what>.yaml`: linting it must not panic, must render in every format, and must
//! report that rule. With every rule on, `--fix --unsafe-fixes` must keep a file that parsed
//! parsing, without a new duplicate key, and fixing the fixed text again must change nothing.

use crate::common;

use std::path::PathBuf;

use daemonlint::config::{Selector, Settings};
use daemonlint::report::{OutputFormat, RenderOptions};
use daemonlint::{FileReport, Report};

fn regressions() -> Vec<PathBuf> {
    let dir = common::root().join("tests/data/regressions");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    paths
}

#[test]
fn regressions_lint_and_report_their_rule() {
    for path in regressions() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (rule, _) = name.split_once("--").expect("named <rule-id>--<what>");
        let report = daemonlint::Linter::new(&Settings::default())
            .report(&daemonlint::Inputs::paths(std::slice::from_ref(&path)));
        let rules: Vec<&str> = report.diagnostics().map(|(_, d)| d.rule.as_ref()).collect();
        assert!(rules.contains(&rule), "{name}: {rules:?}");
        for &format in <OutputFormat as clap::ValueEnum>::value_variants() {
            let mut out = Vec::new();
            let options = RenderOptions {
                color: false,
                summary: true,
                src_root: None,
            };
            daemonlint::report::emit(format, &report, options, &mut out).unwrap();
            assert!(!out.is_empty());
        }
    }
}

fn count(file: &FileReport, rule: &str) -> usize {
    file.diagnostics.iter().filter(|d| d.rule == rule).count()
}

/// Lint `path` with every rule on and apply every fix; the fixed text.
fn fix_all(path: &std::path::Path, settings: &Settings) -> (Report, usize) {
    // Fixed in a copy: the fixed file is linted again with the rest of its run.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(path.file_name().unwrap());
    std::fs::copy(path, &copy).unwrap();
    let mut collect = daemonlint::Collect::new();
    let options = daemonlint::FixOptions {
        unsafe_fixes: true,
        write: true,
    };
    let (_, summary) = daemonlint::Linter::new(settings)
        .fix(&daemonlint::Inputs::paths(&[copy]), options, &mut collect)
        .unwrap();
    (collect.into_report(), summary.fixed)
}

#[test]
fn regressions_fix_to_parsing_idempotent_text() {
    let mut settings = Settings::default();
    settings.selection.select = Some(vec![Selector::All]);
    for path in regressions() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let before = daemonlint::Linter::new(&settings)
            .report(&daemonlint::Inputs::paths(std::slice::from_ref(&path)));
        let (report, fixed) = fix_all(&path, &settings);
        if fixed == 0 {
            continue;
        }
        let (old, new) = (&before.files[0], &report.files[0]);
        if count(old, "yaml-syntax") == 0 {
            assert_eq!(count(new, "yaml-syntax"), 0, "{name}:\n{}", new.source.text);
        }
        assert!(
            count(new, "duplicate-key") <= count(old, "duplicate-key"),
            "{name}: a fix added a duplicate key:\n{}",
            new.source.text
        );
        let dir = tempfile::tempdir().unwrap();
        let again = dir.path().join(&name);
        std::fs::write(&again, &new.source.text).unwrap();
        let (twice, _) = fix_all(&again, &settings);
        assert_eq!(twice.files[0].source.text, new.source.text, "{name}");
    }
}

/// The two regressions of one pass of fixes: a key renamed by unknown-field and the same key
/// inserted by another rule.
#[test]
fn a_renamed_key_is_not_inserted_again() {
    let mut settings = Settings::default();
    settings.selection.select = Some(vec![Selector::All]);
    let path = common::root()
        .join("tests/data/regressions/unknown-field--rename-and-insert-the-same-key.yaml");
    let (report, fixed) = fix_all(&path, &settings);
    let text = &report.files[0].source.text;
    let keys = |key: &str| {
        text.lines()
            .filter(|l| l.trim_start().starts_with(key))
            .count()
    };
    assert!(fixed >= 2, "{fixed}");
    assert_eq!(keys("tolerations:"), 1, "{text}");
    assert_eq!(keys("readOnly:"), 1, "{text}");
    assert_eq!(keys("tolleration:") + keys("readonly:"), 0, "{text}");
    let rules: Vec<&str> = report.files[0]
        .diagnostics
        .iter()
        .map(|d| d.rule.as_ref())
        .collect();
    assert!(!rules.contains(&"unknown-field"), "{rules:?}");
    assert!(!rules.contains(&"duplicate-key"), "{rules:?}");

    let path =
        common::root().join("tests/data/regressions/unknown-field--rename-to-an-existing-key.yaml");
    let report = daemonlint::Linter::new(&settings).report(&daemonlint::Inputs::paths(&[path]));
    let unknown: Vec<_> = report.files[0]
        .diagnostics
        .iter()
        .filter(|d| d.rule == "unknown-field")
        .collect();
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].fix.is_none(), "{:?}", unknown[0].fix);
}
