//! Helpers shared by the integration tests.
#![allow(clippy::print_stderr, clippy::unwrap_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use daemonlint::config::Settings;
use daemonlint::Report;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus beside the project, when present.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = root().join("../shared/corpus/real");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared/corpus/real is absent (CI always has it)");
        None
    }
}

pub fn lint(path: &Path) -> Report {
    daemonlint::lint_paths(&[path.to_path_buf()], &Settings::default())
}

/// `rule line:col-line:col` for every finding, in file order.
pub fn positions(report: &Report) -> Vec<String> {
    report
        .diagnostics()
        .map(|(file, d)| {
            let (s, e) = file.source.span_positions(d.span);
            format!("{} {}:{}-{}:{}", d.rule, s.line, s.column, e.line, e.column)
        })
        .collect()
}

/// The concise rendering of a report, as the snapshots hold it.
pub fn concise(report: &Report) -> String {
    let mut out = Vec::new();
    let options = daemonlint::report::RenderOptions {
        color: false,
        summary: true,
        src_root: None,
    };
    daemonlint::report::emit(
        daemonlint::report::OutputFormat::Concise,
        report,
        options,
        &mut out,
    )
    .expect("render");
    String::from_utf8(out).expect("utf-8")
}
