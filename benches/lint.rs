//! Library benchmarks on in-memory inputs: `cargo bench --bench lint`. Parsing alone
//! (`yaml::documents`, the span tree) beside the whole `Linter::check_source`, so the cost of the rules
//! and suppressions over the bare parse is visible. `check_source` splits inputs of 256 KiB and
//! more across threads: run with `RAYON_NUM_THREADS=1` to compare like with like.
//!
//! Inputs: the files `../shared/bench/gen.py` makes (seed 42) when `scripts/bench` has put them
//! in `target/bench-data/` (one generated DaemonSet, the 10,000-document file); without them, a
//! fixture and 10,000 renamed copies of it.
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use daemonlint::config::Settings;
use daemonlint::source::SourceFile;

const SMALL: &str = include_str!("../fixtures/host-network/fail-hostnetwork.yaml");

/// `n` documents: the small DaemonSet with a distinct name each.
fn many(n: usize) -> String {
    let mut text = String::with_capacity(n * (SMALL.len() + 16));
    for i in 0..n {
        let _ = write!(
            text,
            "---\n{}",
            SMALL.replace("name: node-agent\n", &format!("name: node-agent-{i}\n"))
        );
    }
    text
}

fn parse_only(text: &str) -> usize {
    daemonlint::yaml::documents(text, daemonlint::yaml::Limits::default())
        .filter(Result::is_ok)
        .count()
}

fn lint(text: &str, settings: &Settings) -> usize {
    daemonlint::Linter::new(settings)
        .check_source(SourceFile::new("bench.yaml", text), None)
        .diagnostics
        .len()
}

/// A file `scripts/bench` generated, when it is there.
fn generated(relative: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(relative);
    std::fs::read_to_string(path).ok()
}

fn benches(c: &mut Criterion) {
    let settings = Settings::default();
    let small = generated("single/files/ds-00000.yaml").unwrap_or_else(|| SMALL.to_string());
    let big = generated("big10000/all.yaml").unwrap_or_else(|| many(10_000));
    for (name, text) in [("small", small), ("10000-documents", big)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(text.len() as u64));
        if name != "small" {
            group.sample_size(10);
        }
        group.bench_function("parse", |b| b.iter(|| parse_only(black_box(&text))));
        group.bench_function("lint_source", |b| {
            b.iter(|| lint(black_box(&text), &settings))
        });
        group.finish();
    }
}

criterion_group!(lint_benches, benches);
criterion_main!(lint_benches);
