#![allow(clippy::unwrap_used, clippy::print_stderr)]
//! Mutation test over the shared corpus of real manifests: deterministic byte-level and
//! structure-level mutations of every file, linted in-process with every emitter. No case may
//! panic or hang; a failure names the file, the seed and the mutation. A few dozen mutated files
//! also go through the binary, whose exit code must be 0, 1 or 2.

use crate::common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use daemonlint::config::Settings;
use daemonlint::report::{OutputFormat, RenderOptions};

/// Cases per corpus file and round; rounds repeat until `TARGET` cases or the deadline.
const TARGET: usize = 3_000;
const DEADLINE: Duration = Duration::from_secs(40);
/// Large files are cut to a window of about this many bytes around the mutation.
const WINDOW: usize = 6_000;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const SNIPPETS: &[&[u8]] = &[
    b"---\n",
    b"*a",
    b"&a ",
    b"<<: *a\n",
    b"[",
    b"]",
    b"{",
    b"}",
    b"[[[[{{{{",
    b": ",
    b"- ",
    b"\t",
    b"\"",
    b"'",
    b"|\n",
    b">-\n",
    b"!!str ",
    b"? ",
    b"#",
    b"\r\n",
    b"\xEF\xBB\xBF",
    b"\xFF",
    b"\x00",
    b"%YAML 1.2\n",
    b"...\n",
    b"\xE2\x80\xA8",
];

fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| i < bytes.len()),
    );
    starts
}

/// Apply one mutation; returns its description.
fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) -> String {
    let len = bytes.len();
    let at = rng.below(len + 1);
    let span = rng.below(64).min(len - at.min(len));
    let lines = line_starts(bytes);
    let line_range = |i: usize| {
        let start = lines[i];
        let end = lines.get(i + 1).copied().unwrap_or(len);
        start..end
    };
    match rng.below(12) {
        0 if len > 0 => {
            let i = rng.below(len);
            let bit = 1u8 << rng.below(8);
            bytes[i] ^= bit;
            format!("flip bit {bit:#x} at {i}")
        }
        1 => {
            let s = SNIPPETS[rng.below(SNIPPETS.len())];
            bytes.splice(at..at, s.iter().copied());
            format!("insert {:?} at {at}", String::from_utf8_lossy(s))
        }
        2 => {
            bytes.drain(at..at + span);
            format!("delete {at}..{}", at + span)
        }
        3 => {
            let copy = bytes[at..at + span].to_vec();
            let to = rng.below(len + 1);
            bytes.splice(to..to, copy);
            format!("duplicate {at}..{} to {to}", at + span)
        }
        4 if lines.len() > 1 => {
            let i = rng.below(lines.len() - 1);
            let (a, b) = (line_range(i), line_range(i + 1));
            let mut swapped = bytes[b.clone()].to_vec();
            if swapped.last() != Some(&b'\n') {
                swapped.push(b'\n');
            }
            swapped.extend_from_slice(&bytes[a.clone()]);
            swapped.truncate(b.end - a.start);
            bytes.splice(a.start..b.end, swapped);
            format!("swap lines {i} and {}", i + 1)
        }
        5 => {
            let i = rng.below(lines.len());
            let r = line_range(i);
            let indent = rng.below(9);
            let spaces = bytes[r.clone()].iter().take_while(|&&b| b == b' ').count();
            bytes.splice(r.start..r.start + spaces, std::iter::repeat_n(b' ', indent));
            format!("re-indent line {i} to {indent}")
        }
        6 => {
            let colons: Vec<usize> = (0..len).filter(|&i| bytes[i] == b':').collect();
            if colons.is_empty() {
                return "no colon".into();
            }
            let i = colons[rng.below(colons.len())];
            bytes.remove(i);
            format!("delete `:` at {i}")
        }
        7 => {
            let copy = bytes.clone();
            bytes.extend_from_slice(b"\n---\n");
            bytes.extend_from_slice(&copy);
            "duplicate the document".into()
        }
        8 => {
            let i = rng.below(lines.len());
            let s = lines[i];
            bytes.splice(s..s, b"---\n".iter().copied());
            format!("insert `---` before line {i}")
        }
        9 => {
            // An anchor on one value and aliases to it elsewhere.
            let i = rng.below(lines.len());
            let r = line_range(i);
            let colon = bytes[r.clone()].iter().position(|&b| b == b':');
            let Some(c) = colon else {
                return "no mapping line".into();
            };
            bytes.splice(r.start + c + 1..r.start + c + 1, b" &m".iter().copied());
            let j = rng.below(lines.len());
            let s = line_starts(bytes).get(j).copied().unwrap_or(bytes.len());
            let indent = bytes[s..].iter().take_while(|&&b| b == b' ').count();
            let mut alias = vec![b' '; indent];
            alias.extend_from_slice(b"<<: *m\n");
            bytes.splice(s..s, alias);
            format!("anchor line {i}, merge it before line {j}")
        }
        10 => {
            let n = 1 + rng.below(200);
            let open = if rng.below(2) == 0 { b'[' } else { b'{' };
            bytes.splice(at..at, std::iter::repeat_n(open, n));
            format!("insert {n} × `{}` at {at}", open as char)
        }
        _ => {
            let s = SNIPPETS[rng.below(SNIPPETS.len())];
            let end = (at + s.len()).min(len);
            bytes.splice(at..end, s.iter().copied());
            format!("overwrite at {at} with {:?}", String::from_utf8_lossy(s))
        }
    }
}

/// A window of `bytes` starting at a line boundary, so mutations of big files stay cheap.
fn window(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    if bytes.len() <= WINDOW {
        return bytes.to_vec();
    }
    let lines = line_starts(bytes);
    let start = lines[rng.below(lines.len())];
    let end = lines
        .iter()
        .copied()
        .find(|&l| l >= start + WINDOW)
        .unwrap_or(bytes.len());
    bytes[start..end].to_vec()
}

fn corpus() -> Option<Vec<(String, Vec<u8>)>> {
    let dir: PathBuf = common::shared_corpus()?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    Some(
        files
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect(),
    )
}

/// Lint one mutated text in-process and render it with every emitter.
fn lint_all_formats(bytes: Vec<u8>, settings: &Settings) {
    let stdin = daemonlint::Stdin {
        name: "mutated.yaml".into(),
        bytes,
        settings_path: None,
    };
    let mut report = daemonlint::Linter::new(settings).report(&daemonlint::Inputs {
        stdin: Some(stdin),
        ..daemonlint::Inputs::default()
    });
    let file = report.files.remove(0);
    // Positions must be computable for every finding.
    for d in &file.diagnostics {
        let _ = file.source.span_positions(d.span);
    }
    let report = daemonlint::Report {
        files: vec![file],
        ..daemonlint::Report::default()
    };
    // Every output format, machine formats included.
    for &format in <OutputFormat as clap::ValueEnum>::value_variants() {
        let mut out = Vec::new();
        daemonlint::report::emit(
            format,
            &report,
            RenderOptions {
                color: format == OutputFormat::Full,
                summary: true,
                src_root: None,
            },
            &mut out,
        )
        .unwrap();
        if matches!(
            format,
            OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Gitlab
        ) {
            serde_json::from_slice::<serde_json::Value>(&out).unwrap();
        }
    }
}

#[test]
fn mutated_corpus_never_panics() {
    let Some(files) = corpus() else { return };
    let settings = Settings::default();
    let started = Instant::now();
    let mut cases = 0;
    let mut round = 0u64;
    let mut failures = Vec::new();
    'rounds: while cases < TARGET {
        for (index, (name, original)) in files.iter().enumerate() {
            if started.elapsed() > DEADLINE {
                break 'rounds;
            }
            let seed = round * 1_000 + index as u64;
            let mut rng = Rng::new(seed);
            let mut bytes = window(original, &mut rng);
            let mut steps = Vec::new();
            for _ in 0..1 + rng.below(3) {
                steps.push(mutate(&mut bytes, &mut rng));
            }
            let one = Instant::now();
            let input = bytes.clone();
            let result = catch_unwind(AssertUnwindSafe(|| lint_all_formats(input, &settings)));
            let took = one.elapsed();
            if result.is_err() {
                let path = std::env::temp_dir().join(format!("daemonlint-mutation-{seed}.yaml"));
                let _ = std::fs::write(&path, &bytes);
                failures.push(format!(
                    "{name} seed {seed}: {} (input saved to {})",
                    steps.join("; "),
                    path.display()
                ));
            }
            assert!(
                took < Duration::from_secs(5),
                "{name} seed {seed} took {took:?}: {}",
                steps.join("; ")
            );
            cases += 1;
        }
        round += 1;
    }
    eprintln!(
        "mutation: {cases} cases over {} files in {:?}",
        files.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "panics:\n{}", failures.join("\n"));
    assert!(cases >= files.len(), "only {cases} cases ran");
}

#[test]
fn mutated_files_through_the_binary_exit_0_1_or_2() {
    let Some(files) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (index, (name, original)) in files.iter().enumerate().take(36) {
        let mut rng = Rng::new(7_000 + index as u64);
        let mut bytes = window(original, &mut rng);
        mutate(&mut bytes, &mut rng);
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        paths.push(path);
    }
    for (i, path) in paths.iter().enumerate() {
        let format = ["full", "concise", "json"][i % 3];
        let output = assert_cmd::Command::cargo_bin("daemonlint")
            .unwrap()
            .args(["check", "--isolated", "--format", format])
            .arg(path)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let code = output.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{}: exit {code:?}\n{}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
