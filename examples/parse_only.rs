//! The bare-parse baseline of `scripts/bench`: read a file and build the span tree of every
//! document, exactly as `lint_source` does (split at `---` markers, parts in parallel) but with
//! no rules, no suppressions and no output. Prints the number of documents.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use rayon::prelude::*;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse_only FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let limits = daemonlint::yaml::Limits::default();
    let threads = rayon::current_num_threads();
    let ranges = if text.len() >= 256 * 1024 && threads > 1 {
        daemonlint::yaml::split_documents(&text, threads * 4)
    } else {
        std::iter::once(0..text.len()).collect()
    };
    let documents: usize = ranges
        .into_par_iter()
        .map(|r| {
            let mut docs = daemonlint::yaml::documents_in(&text, r, limits);
            docs.by_ref().for_each(drop);
            docs.started()
        })
        .sum();
    println!("{documents}");
}
