//! The commit daemonlint is built from, for `daemonlint --version`. Shared by `build.rs` and its
//! test (`tests/it/version.rs`), so the fallbacks are tested without building the crate again.
//!
//! In order: `DAEMONLINT_COMMIT` (for builders without git, e.g. a container build without
//! `.git`), `.cargo_vcs_info.json` (written by `cargo package`, so a crate from crates.io knows
//! its commit), then `git` when the crate's directory is the top of a work tree (never the commit
//! of an unrelated repository the sources were unpacked into). Otherwise there is none, and the
//! version is printed alone.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commit, and the files whose change must run the build script again.
pub struct Commit {
    pub hash: Option<String>,
    pub watch: Vec<PathBuf>,
}

const SHORT: usize = 12;

pub fn find(dir: &Path, from_env: Option<&str>) -> Commit {
    let mut watch = vec![dir.join(".cargo_vcs_info.json")];
    if let Some(hash) = from_env.and_then(short) {
        return Commit {
            hash: Some(hash),
            watch,
        };
    }
    if let Ok(json) = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")) {
        if let Some(hash) = vcs_info_sha1(&json) {
            return Commit {
                hash: Some(hash),
                watch,
            };
        }
    }
    watch.clear();
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).ok()?;
        Some(text.trim_end_matches(['\n', '\r']).to_string())
    };
    let Some(top) = git(&["rev-parse", "--show-toplevel"]) else {
        return Commit { hash: None, watch };
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), dir) {
        return Commit { hash: None, watch };
    }
    let hash = git(&["rev-parse", "HEAD"]).and_then(|h| short(&h));
    // HEAD moves on checkout; the branch's ref moves on commit (loose, or in packed-refs); the
    // reflog of HEAD grows on both, also when the loose ref did not exist yet (after `git gc`).
    let mut paths = vec![
        "HEAD".to_string(),
        "logs/HEAD".to_string(),
        "packed-refs".to_string(),
    ];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        paths.push(branch);
    }
    for path in paths {
        if let Some(file) = git(&["rev-parse", "--git-path", &path]) {
            let file = dir.join(file);
            if file.is_file() {
                watch.push(file);
            }
        }
    }
    Commit { hash, watch }
}

/// The first 12 hex digits of a full commit hash; `None` for anything else.
fn short(hash: &str) -> Option<String> {
    let hash = hash.trim();
    let hex = hash.len() >= SHORT && hash.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| hash[..SHORT].to_ascii_lowercase())
}

/// `git.sha1` of `.cargo_vcs_info.json`, found without a JSON parser (the build script has no
/// dependencies): `{"git": {"sha1": "…"}, "path_in_vcs": ""}`.
fn vcs_info_sha1(json: &str) -> Option<String> {
    let rest = &json[json.find("\"sha1\"")? + "\"sha1\"".len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    short(&rest[..rest.find('"')?])
}
