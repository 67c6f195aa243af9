#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::print_stderr)]
//! Where users run daemonlint, tested for real:
//! - the pre-commit hook: pre-commit (from PyPI, in a cached virtualenv) installs it with
//!   `cargo install` from a committed snapshot of this tree and runs it on a bad and a good
//!   manifest;
//! - the GitHub Action: `action.yml` is validated against GitHub's action metadata schema
//!   (shipped by check-jsonschema), and its script runs with the variables GitHub sets.
//!
//! The Python tools are installed once into `target/tmp/daemonlint-tools/venv`; the hook's
//! `cargo install` builds in `target/tmp/daemonlint-tools/pre-commit-target`, so later runs only
//! rebuild daemonlint itself. Without python3 the Python-based tests print `SKIPPED` and pass;
//! any other failure fails them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Pinned, so that every run sees the same pre-commit and the same GitHub schema.
const PYTHON_TOOLS: &[&str] = &["pre-commit==4.7.0", "check-jsonschema==0.39.0"];

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("daemonlint-tools")
}

/// Runs a command; panics with its output when it cannot start.
fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn succeed(cmd: &mut Command) -> Output {
    let output = run(cmd);
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}):\n{}",
        output.status,
        text(&output)
    );
    output
}

/// A git command that ignores the user's and the system's configuration and any repository the
/// tests themselves run in.
fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .args([
            "-c",
            "user.name=daemonlint tests",
            "-c",
            "user.email=tests@daemonlint.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    cmd
}

fn commit_all(dir: &Path) {
    succeed(git(dir).args(["init", "-q"]));
    succeed(git(dir).args(["add", "-A"]));
    succeed(git(dir).args(["commit", "-q", "--no-verify", "-m", "snapshot"]));
}

/// The cached virtualenv's `bin` directory with the Python tools, or `None` without python3.
fn venv_bin() -> Option<&'static Path> {
    static VENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    VENV.get_or_init(|| {
        let python = Command::new("python3").arg("--version").output();
        if !python.is_ok_and(|o| o.status.success()) {
            return None;
        }
        let venv = tools_dir().join("venv");
        let bin = venv.join("bin");
        let stamp = venv.join("daemonlint-tools.txt");
        let wanted = PYTHON_TOOLS.join("\n");
        if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
            return Some(bin);
        }
        succeed(
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv),
        );
        succeed(
            Command::new(bin.join("python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-input",
                ])
                .args(PYTHON_TOOLS),
        );
        std::fs::write(&stamp, wanted).expect("stamp");
        Some(bin)
    })
    .as_deref()
}

fn venv_or_skip(test: &str) -> Option<&'static Path> {
    let bin = venv_bin();
    if bin.is_none() {
        eprintln!(
            "SKIPPED: {test}: python3 is missing (it installs pre-commit and check-jsonschema)"
        );
    }
    bin
}

/// Copies the files git sees in this tree (committed or not, minus ignored ones) into `dest`
/// and commits them there, so that pre-commit can install the hook from the current code.
fn snapshot_tree(dest: &Path) {
    let root = common::root();
    let listed = succeed(git(&root).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]));
    let listed = String::from_utf8(listed.stdout).expect("utf-8 file names");
    for name in listed.split('\0').filter(|n| !n.is_empty()) {
        let from = root.join(name);
        let to = dest.join(name);
        // Deleted in the work tree but still in the index: not part of the current tree.
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue;
        };
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from).expect("readlink");
            std::os::unix::fs::symlink(target, &to).expect("symlink");
        } else if meta.is_file() {
            std::fs::copy(&from, &to).expect("copy");
        }
    }
    commit_all(dest);
}

#[test]
fn pre_commit_hook_fails_the_bad_manifest_and_passes_the_good_one() {
    let Some(bin) = venv_or_skip("pre-commit hook") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let hook_repo = work.path().join("daemonlint");
    snapshot_tree(&hook_repo);

    let project = work.path().join("project");
    let fixture = |name: &str| {
        std::fs::read_to_string(common::root().join("fixtures").join(name)).expect("fixture")
    };
    std::fs::create_dir_all(project.join("deploy")).expect("mkdir");
    std::fs::write(
        project.join("deploy/bad.yaml"),
        fixture("privileged-container/fail-privileged.yaml"),
    )
    .expect("write");
    std::fs::write(
        project.join("deploy/good.yaml"),
        fixture("missing-priority-class/pass-system-node-critical.yaml"),
    )
    .expect("write");
    // Not a Kubernetes manifest, and not YAML at all: neither may fail the hook.
    std::fs::write(project.join("ci.yml"), "on: push\njobs: {}\n").expect("write");
    std::fs::write(project.join("notes.txt"), "hostPID: true\n{{ not yaml").expect("write");
    commit_all(&project);

    let home = work.path().join("pre-commit-home");
    let try_repo = |files: &[&str]| {
        let mut cmd = Command::new(bin.join("pre-commit"));
        cmd.current_dir(&project)
            .args(["try-repo"])
            .arg(&hook_repo)
            .args(["daemonlint", "--color", "never", "--files"])
            .args(files)
            .env("PRE_COMMIT_HOME", &home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            // pre-commit's `cargo install` builds in a cache kept between runs, with the release
            // profile trimmed to a debug build's cost: the hook's behaviour is the same, and the
            // test stays within its time budget on two cores.
            .env("CARGO_TARGET_DIR", tools_dir().join("pre-commit-target"))
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("CARGO_TERM_COLOR", "never");
        run(&mut cmd)
    };

    let bad = try_repo(&["deploy/bad.yaml"]);
    let out = text(&bad);
    assert_eq!(bad.status.code(), Some(1), "the bad manifest fails:\n{out}");
    assert!(
        out.contains("daemonlint....") && out.contains("Failed"),
        "{out}"
    );
    assert!(
        out.contains("deploy/bad.yaml:30:25: warning[privileged-container] container `agent` runs privileged"),
        "the finding is shown:\n{out}"
    );
    assert!(
        !out.contains("Found 1 finding"),
        "no summary line per batch:\n{out}"
    );

    let good = try_repo(&["deploy/good.yaml", "ci.yml", "notes.txt"]);
    let out = text(&good);
    assert_eq!(good.status.code(), Some(0), "the good files pass:\n{out}");
    assert!(
        out.contains("daemonlint....") && out.contains("Passed"),
        "{out}"
    );
}

#[test]
fn action_metadata_matches_githubs_schema() {
    let Some(bin) = venv_or_skip("action.yml schema") else {
        return;
    };
    let check = |path: &Path| {
        run(Command::new(bin.join("check-jsonschema"))
            .args(["--builtin-schema", "vendor.github-actions"])
            .arg(path))
    };
    let action = common::root().join("action.yml");
    let valid = check(&action);
    assert!(valid.status.success(), "{}", text(&valid));

    // The check does reject a broken action.
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("action.yml");
    let yaml = std::fs::read_to_string(&action).expect("action.yml");
    assert!(yaml.contains("using: composite"));
    std::fs::write(&broken, yaml.replace("using: composite", "using: compost")).expect("write");
    assert!(!check(&broken).status.success());
}

struct ActionRun {
    status: Option<i32>,
    stdout: String,
    summary: String,
    outputs: String,
    runner_temp: PathBuf,
}

/// Runs scripts/action-run.sh as action.yml does, in a workspace with a bad and a good manifest.
fn run_action(work: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    let workspace = work.join("workspace");
    let runner_temp = work.join("runner-temp");
    std::fs::create_dir_all(workspace.join("deploy")).expect("mkdir");
    std::fs::create_dir_all(&runner_temp).expect("mkdir");
    for (name, fixture) in [
        (
            "deploy/bad.yaml",
            "privileged-container/fail-privileged.yaml",
        ),
        (
            "deploy/good, one.yaml",
            "missing-priority-class/pass-system-node-critical.yaml",
        ),
    ] {
        std::fs::copy(
            common::root().join("fixtures").join(fixture),
            workspace.join(name),
        )
        .expect("copy");
    }
    // The workspace's configuration: this test is about the action, not the rule catalogue.
    std::fs::write(
        workspace.join(".daemonlint.yaml"),
        "select: [privileged-container, host-network]\n",
    )
    .expect("config");
    let summary = work.join("step-summary.md");
    let outputs = work.join("github-output");
    let _ = std::fs::remove_file(&summary);
    let _ = std::fs::remove_file(&outputs);
    let mut cmd = Command::new("bash");
    cmd.arg(common::root().join("scripts/action-run.sh"))
        .current_dir(work)
        .env("GITHUB_ACTION_PATH", common::root())
        .env("GITHUB_WORKSPACE", &workspace)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", &runner_temp)
        .env("DAEMONLINT_BIN", env!("CARGO_BIN_EXE_daemonlint"));
    for (key, value) in inputs {
        cmd.env(key, value);
    }
    let output = run(&mut cmd);
    ActionRun {
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        runner_temp,
    }
}

#[test]
fn action_script_annotates_summarizes_and_writes_sarif() {
    let work = tempfile::tempdir().expect("tempdir");
    let result = run_action(
        work.path(),
        &[
            ("INPUT_PATHS", "deploy/bad.yaml\n  deploy"),
            ("INPUT_FORMAT", "github"),
            ("INPUT_FAIL_ON", "warning"),
            ("INPUT_CONFIG", ""),
            ("INPUT_SARIF_FILE", ""),
            ("INPUT_UPLOAD_SARIF", "true"),
        ],
    );
    assert_eq!(result.status, Some(1), "{}", result.stdout);
    assert!(
        result.stdout.starts_with(
            "::warning file=deploy/bad.yaml,line=30,col=25,endLine=30,endColumn=29,\
             title=privileged-container::container `agent` runs privileged"
        ),
        "{}",
        result.stdout
    );
    assert_eq!(
        result.stdout.matches("::warning ").count(),
        1,
        "a file named twice is linted once: {}",
        result.stdout
    );
    assert!(
        result.summary.contains("### daemonlint"),
        "{}",
        result.summary
    );
    assert!(
        result.summary.contains("| `deploy/bad.yaml` | 0 | 1 | 0 |"),
        "{}",
        result.summary
    );
    let sarif = result.runner_temp.join("daemonlint.sarif");
    assert_eq!(
        result.outputs,
        format!("exit-code=1\nsarif-file={}\n", sarif.display())
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("SARIF written"))
            .expect("json");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/bad.yaml"
    );
}

#[test]
fn action_script_respects_fail_on_and_skips_sarif_unless_asked() {
    let work = tempfile::tempdir().expect("tempdir");
    let result = run_action(
        work.path(),
        &[
            ("INPUT_PATHS", "deploy"),
            ("INPUT_FORMAT", "github"),
            ("INPUT_FAIL_ON", "error"),
            ("INPUT_UPLOAD_SARIF", "false"),
        ],
    );
    assert_eq!(result.status, Some(0), "{}", result.stdout);
    assert!(result.stdout.starts_with("::warning file=deploy/bad.yaml"));
    assert_eq!(result.outputs, "exit-code=0\nsarif-file=\n");
    assert!(!result.runner_temp.join("daemonlint.sarif").exists());
}

#[test]
fn action_script_config_input_is_applied() {
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(work.path().join("workspace")).expect("mkdir");
    std::fs::write(
        work.path().join("workspace/lenient.yaml"),
        "severity:\n  privileged-container: off\nfail-on: error\n",
    )
    .expect("write");
    let result = run_action(
        work.path(),
        &[("INPUT_PATHS", "deploy"), ("INPUT_CONFIG", "lenient.yaml")],
    );
    assert_eq!(result.status, Some(0), "{}", result.stdout);
    assert!(
        !result.stdout.contains("privileged-container"),
        "{}",
        result.stdout
    );
    assert_eq!(result.outputs, "exit-code=0\nsarif-file=\n");
    // A broken config file fails the job with the error pointing into it.
    std::fs::write(
        work.path().join("workspace/lenient.yaml"),
        "fail-onn: error\n",
    )
    .expect("write");
    let result = run_action(
        work.path(),
        &[("INPUT_PATHS", "deploy"), ("INPUT_CONFIG", "lenient.yaml")],
    );
    assert_eq!(result.status, Some(2), "{}", result.stdout);
    assert!(result.stdout.contains("lenient.yaml"), "{}", result.stdout);
}

#[test]
fn action_cache_key_follows_the_sources() {
    let work = tempfile::tempdir().expect("tempdir");
    let key = || {
        let outputs = work.path().join("github-output");
        let _ = std::fs::remove_file(&outputs);
        succeed(
            Command::new("bash")
                .arg(common::root().join("scripts/action-run.sh"))
                .arg("cache-key")
                .env("GITHUB_ACTION_PATH", common::root())
                .env("GITHUB_OUTPUT", &outputs)
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64"),
        );
        std::fs::read_to_string(&outputs).expect("outputs")
    };
    let first = key();
    let prefix = format!("key=daemonlint-Linux-X64-{}-", env!("CARGO_PKG_VERSION"));
    assert!(first.starts_with(&prefix), "{first}");
    assert_eq!(first.trim_end().len(), prefix.len() + 16, "{first}");
    assert_eq!(key(), first, "the key is stable");
}
