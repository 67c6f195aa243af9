//! Helpers shared by the integration tests.
#![allow(clippy::print_stderr, clippy::unwrap_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use daemonlint::config::Settings;
use daemonlint::Report;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus beside the project, when present.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = root().join("../shared/corpus/real");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared/corpus/real is absent (CI always has it)");
        None
    }
}

/// Default settings, with `rule` turned on (at its default severity) when it is off by default:
/// the fixtures and page examples of a rule exercise it.
pub fn settings_for(rule: &str) -> Settings {
    let mut settings = Settings::default();
    enable(rule, &mut settings);
    settings
}

/// Turn `rule` on at its default severity when it is off by default.
pub fn enable(rule: &str, settings: &mut Settings) {
    if let Some(meta) = daemonlint::rules::find(rule) {
        if !meta.default_enabled {
            let level =
                daemonlint::config::Level::parse(meta.default_severity.as_str()).expect("level");
            settings.selection.severity.insert(rule.to_string(), level);
        }
    }
}

/// Lint a fixture with its rule (the name of its directory) turned on. Files under
/// `fixtures/invalid-config/` are configuration files: they are parsed as such and their errors
/// reported like findings.
pub fn lint(path: &Path) -> Report {
    let rule = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if rule == "invalid-config" {
        return lint_config(path);
    }
    let mut settings = fixture_settings(path);
    enable(rule, &mut settings);
    daemonlint::Linter::new(&settings).report(&daemonlint::Inputs::paths(&[path.to_path_buf()]))
}

pub fn lint_config(path: &Path) -> Report {
    let text = std::fs::read_to_string(path).expect("config fixture");
    let mut report = Report::default();
    let mut file = daemonlint::FileReport::findings(
        daemonlint::source::SourceFile::new(path.display().to_string(), text.clone()),
        Vec::new(),
    );
    if let Err(errors) = daemonlint::config::parse_layer(path, text) {
        file.diagnostics = errors.iter().map(|e| e.to_diagnostic()).collect();
        report.config_error = true;
    }
    report.files.push(file);
    report
}

/// Settings a fixture asks for with `# settings: ...` lines:
/// `# settings: kube-version 1.32`, `# settings: policy <path>` (relative to the fixture's
/// folder; `self` is the fixture itself, read as a policy file).
pub fn fixture_settings(path: &Path) -> Settings {
    let mut settings = Settings::default();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for line in text.lines() {
        let Some(rest) = line.trim_end_matches('\r').strip_prefix("# settings: ") else {
            continue;
        };
        match rest.split_once(' ') {
            Some(("kube-version", v)) => {
                settings.kube_version = v.trim().parse().expect("a supported version");
            }
            Some(("policy", p)) => {
                let p = p.trim();
                settings.policies.push(if p == "self" {
                    path.to_path_buf()
                } else {
                    path.parent().expect("a folder").join(p)
                });
            }
            _ => panic!("{}: unknown settings line `{line}`", path.display()),
        }
    }
    settings
}

/// The `# expect:` lines of a fixture (or its sibling `<file>.expect`).
pub fn expectations(path: &Path) -> Vec<String> {
    let sidecar = path.with_file_name(format!(
        "{}.expect",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    ));
    let text = if sidecar.exists() {
        std::fs::read_to_string(&sidecar).unwrap_or_default()
    } else {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                l.trim_end_matches('\r')
                    .strip_prefix("# expect: ")
                    .map(str::to_string)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    text.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// `rule line:col-line:col` for every finding, in file order.
pub fn positions(report: &Report) -> Vec<String> {
    report
        .diagnostics()
        .map(|(file, d)| {
            let (s, e) = file.source.span_positions(d.span);
            format!("{} {}:{}-{}:{}", d.rule, s.line, s.column, e.line, e.column)
        })
        .collect()
}

/// The concise rendering of a report, as the snapshots hold it.
pub fn concise(report: &Report) -> String {
    let mut out = Vec::new();
    let options = daemonlint::report::RenderOptions {
        color: false,
        summary: true,
        src_root: None,
    };
    daemonlint::report::emit(
        daemonlint::report::OutputFormat::Concise,
        report,
        options,
        &mut out,
    )
    .expect("render");
    String::from_utf8(out).expect("utf-8")
}

/// Held while a test installs a tool with the distribution's package manager
/// (`scripts/install-*`): the tests that do run in one process, and two `apt-get`s at once
/// wait on each other's locks at best.
pub fn package_manager_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A git command that ignores the user's and the system's configuration and any repository the
/// tests themselves run in.
pub fn git(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
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

/// The directory holding the real `helm` and `kubectl`, installed (and cached) by
/// `scripts/install-k8s-tools`; `None`, after a SKIPPED line, when they cannot be installed.
pub fn k8s_tools() -> Option<PathBuf> {
    static BIN: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let out = std::process::Command::new(root().join("scripts/install-k8s-tools"))
            .output()
            .ok()?;
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && bin.join("helm").is_file() && bin.join("kubectl").is_file() {
            Some(bin)
        } else {
            eprintln!(
                "SKIPPED: scripts/install-k8s-tools could not install helm and kubectl: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
    })
    .clone()
}

/// The findings of every rule (`--select all`) on `text`, linted as the file `name`.
pub fn lint_all(name: &str, text: &str) -> Vec<daemonlint::diagnostic::Diagnostic> {
    let mut settings = Settings::default();
    settings.selection.select = Some(vec![daemonlint::config::Selector::All]);
    daemonlint::Linter::new(&settings)
        .check_source(daemonlint::source::SourceFile::new(name, text), None)
        .diagnostics
}
