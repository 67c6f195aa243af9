//! Fuzz the loader, every rule and every emitter: `cargo fuzz run lint` (needs nightly).
//! Seed it with the fixtures and the shared corpus:
//! `cargo fuzz run lint fuzz/corpus/lint ../fixtures ../../shared/corpus/real`.
#![no_main]

use daemonlint::config::Settings;
use daemonlint::report::{OutputFormat, RenderOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let settings = Settings::default();
    let file = daemonlint::lint_bytes("fuzz.yaml", data.to_vec(), &settings);
    for d in &file.diagnostics {
        let _ = file.source.span_positions(d.span);
    }
    let report = daemonlint::Report {
        files: vec![file],
        ..daemonlint::Report::default()
    };
    for format in [OutputFormat::Full, OutputFormat::Concise, OutputFormat::Json] {
        let mut out = Vec::new();
        let options = RenderOptions {
            color: format == OutputFormat::Full,
            summary: true,
        };
        daemonlint::report::emit(format, &report, options, &mut out).expect("in-memory write");
    }
});
