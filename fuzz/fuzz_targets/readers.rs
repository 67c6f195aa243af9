//! Fuzz the fast YAML reader against granit-parser: for any text, the documents (nodes, values,
//! spans, comments, duplicate keys, errors) must be the same whichever reader read them. The
//! fast reader declines what it does not take, so a difference is always a bug in it.
//!
//! Run it from the repository root (needs nightly and `cargo install cargo-fuzz`); see
//! `fuzz/README.md` for seeding the corpus (the `lint` seeds do).
#![no_main]

use daemonlint::yaml::{documents, documents_without_fast_reader, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default();
    let fast: Vec<String> = documents(text, limits).map(|d| format!("{d:?}")).collect();
    let slow: Vec<String> = documents_without_fast_reader(text, limits)
        .map(|d| format!("{d:?}"))
        .collect();
    assert_eq!(fast, slow, "the readers differ on {text:?}");
});
