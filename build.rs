//! Embeds every `rules/<id>.md` page so `daemonlint rule <id>` and the language server can show
//! it without reading files at run time, and sets `DAEMONLINT_VERSION` (the version and the
//! commit it is built from) for `daemonlint --version`.

use std::fmt::Write as _;
use std::path::Path;

#[path = "build/commit.rs"]
mod commit;

fn main() {
    version();
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new("rules");
    let mut pages: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    name.strip_suffix(".md").map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    let mut code = String::from("pub static PAGES: &[(&str, &str)] = &[\n");
    for id in &pages {
        // The path is resolved when the crate compiles, not baked in here: a build script's
        // output can be reused for a copy of the sources elsewhere (cargo hashes path packages
        // by their path relative to the workspace, so two checkouts sharing a target directory
        // share it), and must then read that copy's pages.
        let _ = writeln!(
            code,
            "    ({id:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),",
            format!("/rules/{id}.md")
        );
    }
    code.push_str("];\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("rule_pages.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=could not write {}: {e}", out.display());
    }
}

fn version() {
    println!("cargo:rerun-if-changed=build/commit.rs");
    println!("cargo:rerun-if-env-changed=DAEMONLINT_COMMIT");
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let dir = Path::new(&manifest_dir);
    let from_env = std::env::var("DAEMONLINT_COMMIT").ok();
    let found = commit::find(dir, from_env.as_deref());
    for path in &found.watch {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    match found.hash {
        Some(hash) => println!("cargo:rustc-env=DAEMONLINT_VERSION={version} (commit {hash})"),
        None => println!("cargo:rustc-env=DAEMONLINT_VERSION={version}"),
    }
}
