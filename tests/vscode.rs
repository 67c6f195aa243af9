//! The VS Code extension (`editors/vscode`): its unit tests, its linux-x64 package with the
//! release binary inside, and an end-to-end run in a real VS Code (code-server driven by
//! Chromium through playwright-core; `editors/vscode/test/e2e.mjs` says what it asserts).
//!
//! The tools are installed by `scripts/install-vscode-e2e` (Debian's chromium and libkrb5-dev,
//! then Node 24, code-server and playwright-core from npm, cached outside the repository). Where
//! they cannot be installed (not root, no apt-get, no registry) the test prints SKIPPED; in CI
//! (`CI=true`) it fails instead.
//!
//! The release binary is `target/release/daemonlint`, built here when missing or older than the
//! sources. The screenshot goes to `target/vscode-e2e/vscode.png`; with
//! `DAEMONLINT_UPDATE_SCREENSHOT=1` it replaces `docs/images/vscode.png`.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Instant, SystemTime};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn show(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The tools directory, or None (after SKIPPED) where they cannot be installed.
fn tools() -> Option<PathBuf> {
    let started = Instant::now();
    let output = Command::new(root().join("scripts/install-vscode-e2e"))
        .output()
        .expect("run scripts/install-vscode-e2e");
    if !output.status.success() {
        assert!(
            !in_ci(),
            "CI must be able to install the VS Code test tools:\n{}",
            show(&output)
        );
        eprintln!(
            "SKIPPED: the VS Code extension test: scripts/install-vscode-e2e failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    eprintln!(
        "vscode: tools at {} ({:.1} s)",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Some(dir)
}

/// The newest modification time of the files the binary is built from.
fn newest_source() -> SystemTime {
    fn walk(path: &Path, newest: &mut SystemTime) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).unwrap().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(modified) = meta.modified() {
            *newest = (*newest).max(modified);
        }
    }
    let mut newest = SystemTime::UNIX_EPOCH;
    for part in [
        "src",
        "rules",
        "schemas",
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        walk(&root().join(part), &mut newest);
    }
    newest
}

/// `target/release/daemonlint`, built when missing or older than the sources.
fn release_binary() -> PathBuf {
    // The test binary's own `target/<profile>/daemonlint` tells where the target directory is.
    let target = Path::new(env!("CARGO_BIN_EXE_daemonlint"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf();
    let binary = target.join("release/daemonlint");
    let fresh = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .is_ok_and(|built| built >= newest_source());
    if !fresh {
        eprintln!("vscode: building the release binary (cargo build --release)");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let status = Command::new(cargo)
            .args([
                "build",
                "--release",
                "--locked",
                "--bin",
                "daemonlint",
                "--target-dir",
            ])
            .arg(&target)
            .current_dir(root())
            .status()
            .expect("run cargo build --release");
        assert!(status.success(), "cargo build --release failed");
    }
    binary
}

/// `PATH` with Node 24 of the tools first.
fn path_with_node(tools: &Path) -> OsString {
    let mut paths = vec![tools.join("node/bin")];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

#[test]
fn the_extension_works_in_a_real_vs_code() {
    let Some(tools) = tools() else {
        return;
    };
    let path = path_with_node(&tools);
    let node = tools.join("node/bin/node");
    let extension = root().join("editors/vscode");
    let binary = release_binary();
    let scratch = tempfile::tempdir().unwrap();

    // The linux-x64 package, with the release binary inside (compiles the extension too).
    let started = Instant::now();
    let vsix = scratch.path().join("daemonlint-linux-x64.vsix");
    let output = Command::new(root().join("scripts/package-vscode"))
        .arg("linux-x64")
        .arg(&binary)
        .arg(&vsix)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(output.status.success(), "packaging:\n{}", show(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        vsix.display().to_string()
    );
    eprintln!(
        "vscode: packaged in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The unit tests of binary discovery and settings, on the compiled extension.
    let output = Command::new(&node)
        .args(["--test", "test/unit/discovery.test.mjs"])
        .current_dir(&extension)
        .env("PATH", &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "unit tests:\n{}", show(&output));
    assert!(
        stdout.contains("ℹ pass 10") && stdout.contains("ℹ fail 0"),
        "{stdout}"
    );

    // End to end in code-server.
    let started = Instant::now();
    let screenshot = if std::env::var_os("DAEMONLINT_UPDATE_SCREENSHOT").is_some() {
        root().join("docs/images/vscode.png")
    } else {
        let dir = binary
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("vscode-e2e");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("vscode.png")
    };
    let _ = std::fs::remove_file(&screenshot);
    let output = Command::new(&node)
        .arg("test/e2e.mjs")
        .arg("--tools")
        .arg(&tools)
        .arg("--vsix")
        .arg(&vsix)
        .arg("--binary")
        .arg(&binary)
        .arg("--screenshot")
        .arg(&screenshot)
        .current_dir(&extension)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(output.status.success(), "end to end:\n{}", show(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("e2e: 1 passed, 0 failed"),
        "{}",
        show(&output)
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    eprintln!(
        "vscode: end to end in {:.1} s\n{}",
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&output.stderr)
    );
}
