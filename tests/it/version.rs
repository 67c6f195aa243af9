#![allow(clippy::unwrap_used)]
//! `daemonlint --version` names the commit the binary was built from, and the build script's
//! fallbacks (crates.io tarball, no git, an unrelated repository around the sources) hold.

#[path = "../../build/commit.rs"]
mod commit;

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = crate::common::git(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = Command::new(env!("CARGO_BIN_EXE_daemonlint"))
        .arg("--version")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let printed = String::from_utf8(out.stdout).unwrap();
    // What the build script saw: the same function, on the same directory, now.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = std::env::var("DAEMONLINT_COMMIT").ok();
    let expected = match commit::find(root, env.as_deref()).hash {
        Some(hash) => {
            assert_eq!(hash.len(), 12);
            format!("daemonlint {} (commit {hash})\n", env!("CARGO_PKG_VERSION"))
        }
        None => format!("daemonlint {}\n", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(printed, expected);
    // In a git checkout of this repository (CI's clean clone), the commit is HEAD's.
    if root.join(".git").exists() && env.is_none() {
        let head = git(root, &["rev-parse", "HEAD"]);
        assert_eq!(
            printed,
            format!(
                "daemonlint {} (commit {})\n",
                env!("CARGO_PKG_VERSION"),
                &head[..12]
            )
        );
    }
}

#[test]
fn without_git_there_is_no_commit_and_nothing_fails() {
    let dir = tempfile::tempdir().unwrap();
    let found = commit::find(dir.path(), None);
    assert_eq!(found.hash, None);
    assert!(found.watch.is_empty());
    // A value that is not a commit hash is ignored.
    assert_eq!(commit::find(dir.path(), Some("unknown")).hash, None);
    assert_eq!(commit::find(dir.path(), Some("")).hash, None);
}

#[test]
fn the_environment_overrides_and_is_shortened() {
    let dir = tempfile::tempdir().unwrap();
    let found = commit::find(
        dir.path(),
        Some("0123456789ABCDEF0123456789abcdef01234567\n"),
    );
    assert_eq!(found.hash.as_deref(), Some("0123456789ab"));
}

#[test]
fn a_packaged_crate_reads_cargo_vcs_info() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".cargo_vcs_info.json"),
        "{\n  \"git\": {\n    \"sha1\": \"89d5e51c1a2b3c4d5e6f708192a3b4c5d6e7f809\"\n  },\n  \"path_in_vcs\": \"\"\n}",
    )
    .unwrap();
    let found = commit::find(dir.path(), None);
    assert_eq!(found.hash.as_deref(), Some("89d5e51c1a2b"));
    assert_eq!(found.watch, vec![dir.path().join(".cargo_vcs_info.json")]);
    // A broken file is no commit, not an error.
    std::fs::write(
        dir.path().join(".cargo_vcs_info.json"),
        "{\"git\": {\"sha1\": 4",
    )
    .unwrap();
    assert_eq!(commit::find(dir.path(), None).hash, None);
}

#[test]
fn git_gives_head_only_at_the_top_of_the_work_tree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    std::fs::write(repo.join("Cargo.toml"), "").unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "first"]);
    let head = git(repo, &["rev-parse", "HEAD"]);
    let found = commit::find(repo, None);
    assert_eq!(found.hash.as_deref(), Some(&head[..12]));
    // A commit moves the branch's ref, checking out moves HEAD, both grow HEAD's reflog: all
    // are watched.
    for file in [".git/HEAD", ".git/logs/HEAD"] {
        assert!(
            found.watch.iter().any(|p| p.ends_with(file)),
            "{file}: {:?}",
            found.watch
        );
    }
    assert!(
        found
            .watch
            .iter()
            .any(|p| p
                .ends_with("refs/heads/".to_string() + &git(repo, &["branch", "--show-current"]))),
        "{:?}",
        found.watch
    );
    // Sources unpacked inside someone else's repository (an sdist built in a project's
    // directory) do not take that repository's commit.
    let nested = repo.join("vendor/daemonlint");
    std::fs::create_dir_all(&nested).unwrap();
    let found = commit::find(&nested, None);
    assert_eq!(found.hash, None);
    assert!(found.watch.is_empty());
}
