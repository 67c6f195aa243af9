//! The integration tests, as one crate: one binary to build and link instead of one per file,
//! and one process, so the slow tests (the integrations, Neovim, the memory test's child) run
//! beside the fast ones. Each module is what was a file of its own under `tests/`; insta keeps
//! their snapshots in `tests/it/snapshots` (`it__<module>__<name>.snap` for the named ones).
//!
//! `autotests = false` in Cargo.toml: a new file must be a module here, which
//! `every_test_file_is_a_module_of_this_crate` enforces. Tests share this process: they change
//! no process-wide state (no `std::env::set_var`, no `set_current_dir`); a command gets its own
//! environment and working directory.
#![allow(clippy::unwrap_used)]

mod common;

mod baseline;
mod cli;
mod config;
mod coverage;
mod cross;
mod docs;
mod external_precision;
#[cfg(unix)]
mod fix;
mod fixtures;
mod formats;
mod helm;
mod hostile;
mod integrations;
mod kustomize;
mod layers;
mod lsp;
mod lsp_nvim;
mod lsp_render;
mod memory;
mod mutation;
mod pipeline;
mod policies;
mod precision_regressions;
mod registry;
mod regressions;
mod remap;
mod render_cli;
mod stream;
mod version;
mod vscode;
mod yaml_kubernetes;

use std::path::{Path, PathBuf};

/// Every file with the extension `ext` under `dir`, recursively.
fn files_under(dir: &Path, ext: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, ext, found);
        } else if path.extension().is_some_and(|e| e == ext) {
            found.push(path);
        }
    }
}

/// The modules `main.rs` declares.
fn declared_modules() -> Vec<String> {
    let main = std::fs::read_to_string(common::root().join("tests/it/main.rs")).unwrap();
    main.lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::to_string)
        .collect()
}

/// With `autotests = false`, a test file outside this crate would never be compiled or run;
/// a file in `tests/it` that no `mod` line names neither. Both fail here instead.
#[test]
fn every_test_file_is_a_module_of_this_crate() {
    let tests = common::root().join("tests");
    let mut stray = Vec::new();
    for entry in std::fs::read_dir(&tests).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == "it" || name == "data" {
            continue;
        }
        if path.is_dir() {
            files_under(&path, "rs", &mut stray);
        } else if name.ends_with(".rs") {
            stray.push(path);
        }
    }
    assert!(
        stray.is_empty(),
        "test files outside tests/it never run (autotests = false): move each to \
         tests/it/<name>.rs and add `mod <name>;` to tests/it/main.rs: {stray:?}"
    );
    let declared = declared_modules();
    for entry in std::fs::read_dir(tests.join("it")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        if path.extension().is_some_and(|e| e == "rs") && stem != "main" {
            assert!(
                declared.iter().any(|m| m == stem),
                "tests/it/{stem}.rs is not a module: add `mod {stem};` to tests/it/main.rs"
            );
        }
    }
}

/// insta writes every snapshot of this crate beside its sources, in `tests/it/snapshots`: a
/// `.snap` anywhere else under `tests/` is read by no test, and a snapshot named after a module
/// this crate does not declare belongs to no test.
#[test]
fn every_snapshot_belongs_to_this_crate() {
    let tests = common::root().join("tests");
    let snapshots = tests.join("it/snapshots");
    let mut all = Vec::new();
    files_under(&tests, "snap", &mut all);
    let misplaced: Vec<_> = all
        .iter()
        .filter(|p| p.parent() != Some(snapshots.as_path()))
        .collect();
    assert!(
        misplaced.is_empty(),
        "snapshots outside tests/it/snapshots belong to no test: {misplaced:?}"
    );
    let declared = declared_modules();
    for path in &all {
        let name = path.file_name().unwrap().to_str().unwrap();
        // `fixture@`, `policy@` and `fixed@` snapshots are checked by their own tests.
        if name.contains('@') {
            continue;
        }
        let module = name
            .strip_prefix("it__")
            .and_then(|rest| rest.split_once("__"))
            .map(|(module, _)| module);
        assert!(
            module.is_some_and(|m| declared.iter().any(|d| d == m)),
            "{name}: not `it__<module>__<name>.snap` for a module of this crate"
        );
    }
}
