//! Fuzz the loader, every rule (off-by-default ones included), `--fix` and every emitter.
//!
//! For each input the target:
//! - lints the bytes with every rule turned on (`select: [all]`);
//! - computes the line/column of every finding's span;
//! - renders the report in every output format, and checks that the JSON formats are valid
//!   JSON and the XML formats well-formed XML;
//! - applies every fix (unsafe ones too, as `--fix --unsafe-fixes`): when the input parsed, the
//!   fixed text must still parse without new duplicate keys, and fixing the fixed text again
//!   must change nothing (fixes are idempotent).
//!
//! Run it from the repository root (needs nightly and `cargo install cargo-fuzz`); see
//! `fuzz/README.md` for seeding the corpus.
#![no_main]

use daemonlint::config::{Selector, Settings};
use daemonlint::report::{OutputFormat, RenderOptions};
use daemonlint::source::SourceFile;
use daemonlint::{FileReport, Report};
use libfuzzer_sys::fuzz_target;

const FORMATS: [OutputFormat; 8] = [
    OutputFormat::Full,
    OutputFormat::Concise,
    OutputFormat::Json,
    OutputFormat::Sarif,
    OutputFormat::Github,
    OutputFormat::Junit,
    OutputFormat::Checkstyle,
    OutputFormat::Gitlab,
];

fn settings() -> &'static Settings {
    static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();
    SETTINGS.get_or_init(|| {
        let mut settings = Settings::default();
        settings.selection.select = Some(vec![Selector::All]);
        settings
    })
}

fn render_everything(report: &Report) {
    for format in FORMATS {
        let mut out = Vec::new();
        let options = RenderOptions {
            color: format == OutputFormat::Full,
            summary: true,
            src_root: None,
        };
        daemonlint::report::emit(format, report, options, &mut out).expect("in-memory write");
        match format {
            OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Gitlab => {
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
                    panic!("{format:?} output is not JSON: {e}");
                }
            }
            OutputFormat::Junit | OutputFormat::Checkstyle => {
                let text = std::str::from_utf8(&out).expect("XML output is UTF-8");
                if let Err(e) = roxmltree::Document::parse(text) {
                    panic!("{format:?} output is not well-formed XML: {e}");
                }
            }
            _ => {}
        }
    }
}

fn has_rule(file: &FileReport, rule: &str) -> usize {
    file.diagnostics.iter().filter(|d| d.rule == rule).count()
}

fn check_fix(file: FileReport, settings: &Settings) {
    let linter = daemonlint::Linter::new(settings);
    let parsed = has_rule(&file, "yaml-syntax") == 0;
    let duplicates = has_rule(&file, "duplicate-key");
    let name = file.source.name.clone();
    let stdin = |text: &str| daemonlint::Stdin {
        name: name.clone(),
        bytes: text.as_bytes().to_vec(),
        settings_path: None,
    };
    let original = file.source.text.clone();
    let text = linter.fix_text(stdin(&original), true);
    if text == original {
        return;
    }
    let fixed = linter.check_source(SourceFile::new(name.clone(), text.clone()), None);
    if parsed {
        assert_eq!(
            has_rule(&fixed, "yaml-syntax"),
            0,
            "the fixed text does not parse:\n{}",
            fixed.source.text
        );
        assert!(
            has_rule(&fixed, "duplicate-key") <= duplicates,
            "a fix added a duplicate key:\n{}",
            fixed.source.text
        );
    }
    render_everything(&Report {
        files: vec![fixed],
        ..Report::default()
    });
    let again = linter.fix_text(stdin(&text), true);
    assert!(
        again == text,
        "fixing the fixed text changed it again:\n{text}\n---\n{again}"
    );
}

/// Lint bytes as standard input is linted.
fn lint_bytes(name: &str, bytes: Vec<u8>, settings: &Settings) -> FileReport {
    let stdin = daemonlint::Stdin {
        name: name.into(),
        bytes,
        settings_path: None,
    };
    let mut report = daemonlint::Linter::new(settings).report(&daemonlint::Inputs {
        stdin: Some(stdin),
        ..daemonlint::Inputs::default()
    });
    report.files.remove(0)
}

fuzz_target!(|data: &[u8]| {
    let settings = settings();
    let file = lint_bytes("fuzz.yaml", data.to_vec(), settings);
    for d in &file.diagnostics {
        let _ = file.source.span_positions(d.span);
    }
    let report = Report {
        files: vec![file],
        ..Report::default()
    };
    render_everything(&report);
    let Report { mut files, .. } = report;
    let file = files.pop().expect("one file");
    check_fix(file, settings);
});
