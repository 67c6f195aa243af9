#![allow(clippy::unwrap_used)]
//! Inputs that once found a bug (fuzzing, mutation, hostile-input tests). Each file is named
//! `<rule-id>--<what>.yaml`: linting it must not panic, must render in every format, and must
//! report that rule.

mod common;

use daemonlint::config::Settings;
use daemonlint::report::{OutputFormat, RenderOptions};

#[test]
fn regressions_lint_and_report_their_rule() {
    let dir = common::root().join("tests/data/regressions");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (rule, _) = name.split_once("--").expect("named <rule-id>--<what>");
        let report = daemonlint::lint_paths(std::slice::from_ref(&path), &Settings::default());
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
