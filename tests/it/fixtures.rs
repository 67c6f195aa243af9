#![allow(clippy::unwrap_used)]
//! Runs every fixture under `fixtures/<rule-id>/`:
//! - `fail-*` files must fire their rule exactly at the positions they list (`# expect: rule
//!   line:col-line:col` comments, or a sibling `<file>.expect` for JSON and files that cannot
//!   hold comments);
//! - `pass-*` files must not fire their rule (and must hold whatever they list);
//! - the concise rendering of every fixture is an insta snapshot;
//! - `# settings: kube-version 1.NN` and `# settings: policy <path>|self` lines set up the run.

use crate::common;

use std::collections::BTreeSet;

fn fixture_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(common::root().join("fixtures")).expect("fixtures/") {
        let dir = dir.expect("entry").path();
        for file in std::fs::read_dir(&dir).expect("rule dir") {
            let file = file.expect("entry").path();
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if (name.starts_with("fail-") || name.starts_with("pass-"))
                && !name.ends_with(".expect")
            {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fixtures_fire_exactly_where_they_say() {
    let mut failures = Vec::new();
    for file in fixture_files() {
        let rule = file
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let report = common::lint(&file);
        let found = common::positions(&report);
        let expected = common::expectations(&file);
        let rules_named: BTreeSet<String> = expected
            .iter()
            .filter_map(|e| e.split_whitespace().next().map(str::to_string))
            .chain(std::iter::once(rule.clone()))
            .collect();
        let actual: Vec<&String> = found
            .iter()
            .filter(|f| rules_named.contains(f.split_whitespace().next().unwrap_or_default()))
            .collect();
        let expected_refs: Vec<&String> = expected.iter().collect();
        if name.starts_with("fail-") && expected.iter().all(|e| !e.starts_with(&format!("{rule} ")))
        {
            failures.push(format!(
                "{}: a fail fixture must expect at least one `{rule}`",
                file.display()
            ));
        }
        if actual != expected_refs {
            failures.push(format!(
                "{}:\n  expected {expected_refs:?}\n  found    {actual:?}",
                file.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn fixture_snapshots() {
    for file in fixture_files() {
        let rel = file
            .strip_prefix(common::root())
            .expect("inside the project");
        let report = common::lint(rel);
        let rule = rel
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(format!("{rule}__{name}"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_info(&rel.display().to_string());
        settings.bind(|| insta::assert_snapshot!("fixture", common::concise(&report)));
    }
}
