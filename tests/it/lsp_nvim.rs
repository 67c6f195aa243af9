//! End to end with a real editor: headless Neovim runs `daemonlint lsp` (this build's binary)
//! through its built-in LSP client, with the minimal configuration in
//! `tests/data/lsp/nvim/init.lua`, and reports what it shows as JSON.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn nvim_works() -> bool {
    Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `nvim`, installed with `scripts/install-neovim` when missing.
fn ensure_nvim() -> Result<(), String> {
    let _installing = crate::common::package_manager_lock();
    if nvim_works() {
        return Ok(());
    }
    let status = Command::new("bash")
        .arg(root().join("scripts/install-neovim"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run scripts/install-neovim: {e}"))?;
    if status.success() && nvim_works() {
        Ok(())
    } else {
        Err("Neovim is not installed and scripts/install-neovim could not install it".into())
    }
}

/// Run headless Neovim on `file`; returns what the init script wrote.
fn run_nvim(home: &Path, file: &Path) -> Value {
    let out = home.join("results.json");
    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(root().join("tests/data/lsp/nvim/init.lua"))
        .arg(file)
        .env("DAEMONLINT_BIN", env!("CARGO_BIN_EXE_daemonlint"))
        .env("DAEMONLINT_OUT", &out)
        // Keep Neovim's log, state and cache out of the user's home.
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nvim");
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nvim did not finish within 45 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&out).expect("nvim wrote no results");
    serde_json::from_str(&text).unwrap()
}

fn diag(code: &str, lnum: u32, col: u32, end_lnum: u32, end_col: u32) -> Value {
    json!({"code": code, "severity": 2, "source": "daemonlint",
           "lnum": lnum, "col": col, "end_lnum": end_lnum, "end_col": end_col})
}

/// [`diag`] at error severity (Neovim's 1).
fn error(code: &str, lnum: u32, col: u32, end_lnum: u32, end_col: u32) -> Value {
    let mut d = diag(code, lnum, col, end_lnum, end_col);
    d["severity"] = json!(1);
    d
}

#[test]
fn neovim_shows_diagnostics_code_actions_and_hover() {
    if let Err(why) = ensure_nvim() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let started = Instant::now();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("agent.yaml");
    std::fs::copy(root().join("tests/data/lsp/agent.yaml"), &file).unwrap();
    // The project's configuration applies in the editor too: keep the expectations to the
    // rules this test was written for.
    std::fs::write(
        home.path().join(".daemonlint.yaml"),
        "ignore: [missing-priority-class, host-network-dns-policy, missing-liveness-probe, \
         writable-root-filesystem, privilege-escalation, image-tag-latest, sensitive-host-path]\n",
    )
    .unwrap();
    let results = run_nvim(home.path(), &file);
    eprintln!(
        "neovim {} end-to-end: {:.1} s",
        results["version"].as_str().unwrap_or("?"),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(results.get("error"), None, "{results:#}");
    assert_eq!(results["client"], true);
    // Neovim shows byte columns: line 20 has `é😀` (6 bytes, 3 UTF-16 units) before the
    // finding, so this also checks the server's UTF-16 positions.
    assert_eq!(
        results["diagnostics"],
        json!([
            diag("aggressive-max-unavailable", 10, 22, 10, 26),
            diag("host-network", 15, 19, 15, 23),
            error("invalid-name", 19, 17, 19, 25),
            diag("privileged-container", 19, 75, 19, 79),
            diag("writable-host-path", 24, 14, 25, 33),
        ]),
        "{results:#}"
    );
    assert_eq!(
        results["actions"],
        json!([
            "Suppress host-network on this line",
            "Suppress host-network for this DaemonSet"
        ])
    );
    assert_eq!(results["hover_first_line"], "# host-network");
    assert_eq!(
        results["suppress_line"],
        "      # daemonlint: ignore[host-network] TODO: reason"
    );
    assert_eq!(
        results["after_suppress"],
        json!([
            diag("aggressive-max-unavailable", 10, 22, 10, 26),
            error("invalid-name", 20, 17, 20, 25),
            diag("privileged-container", 20, 75, 20, 79),
            diag("writable-host-path", 25, 14, 26, 33),
        ]),
        "{results:#}"
    );
}
