//! Command-line definitions and their execution. Output goes to the writers passed in, so the
//! library never prints by itself.

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{FailOn, Settings};
use crate::report::{self, OutputFormat, RenderOptions};
use crate::rules;

#[derive(Debug, Parser)]
#[command(
    name = "daemonlint",
    version,
    about = "A linter and policy checker for Kubernetes DaemonSet manifests"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint manifests (files, directories, or `-` for stdin).
    Check(CheckArgs),
    /// List every rule.
    Rules(RulesArgs),
    /// Show a rule's documentation.
    Rule {
        /// The rule id, e.g. `writable-host-path`.
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint; `-` reads stdin. Defaults to the current directory.
    pub paths: Vec<PathBuf>,
    /// Output format [default: full on a terminal, concise otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// The file name to report for stdin input.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// The lowest severity that makes the run fail (exit code 1).
    #[arg(long, value_enum, default_value = "warning")]
    pub fail_on: FailOnArg,
    /// Exit 0 even when there are findings (same as `--fail-on never`).
    #[arg(long)]
    pub exit_zero: bool,
    /// Do not print the closing summary line.
    #[arg(long)]
    pub no_summary: bool,
    /// When to use colors in the full format.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// The Kubernetes version whose schema `apps/v1` DaemonSets are checked against
    /// (1.30 to 1.37) [default: the newest].
    #[arg(long, value_name = "1.NN")]
    pub kube_version: Option<crate::schema::KubeVersion>,
    /// A custom policy file (repeatable); see `policies/examples/`.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

impl CheckArgs {
    /// Turn the flags into settings.
    #[must_use]
    pub fn settings(&self) -> Settings {
        let fail_on = if self.exit_zero {
            FailOn::Never
        } else {
            match self.fail_on {
                FailOnArg::Error => FailOn::Error,
                FailOnArg::Warning => FailOn::Warning,
                FailOnArg::Info => FailOn::Info,
                FailOnArg::Never => FailOn::Never,
            }
        };
        let defaults = Settings::default();
        Settings {
            fail_on,
            kube_version: self.kube_version.unwrap_or(defaults.kube_version),
            policies: self.policies.clone(),
            ..defaults
        }
    }
}

/// Run a parsed command line; returns the exit code.
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let result = match cli.command {
        Command::Check(args) => check(&args, stdout, stderr),
        Command::Rules(args) => list_rules(&args, stdout),
        Command::Rule { id } => show_rule(&id, stdout, stderr),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(stderr, "daemonlint: {e}");
            2
        }
    }
}

fn check(args: &CheckArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let settings = args.settings();
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let stdin_count = paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_count > 1 {
        writeln!(stderr, "daemonlint: `-` (stdin) can be given only once")?;
        return Ok(2);
    }
    let terminal = io::stdout().is_terminal();
    let format = args.format.unwrap_or(if terminal {
        OutputFormat::Full
    } else {
        OutputFormat::Concise
    });
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let options = RenderOptions {
        color,
        summary: !args.no_summary,
    };
    let policies = match crate::policy::load(&settings.policies, &settings) {
        Ok(policies) => policies,
        Err(files) => {
            // A broken policy is a usage error: report it and lint nothing.
            let report = crate::Report { files };
            report::emit(format, &report, options, stdout)?;
            stdout.flush()?;
            return Ok(2);
        }
    };
    let mut report = crate::Report::default();
    let files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if !files.is_empty() {
        report = crate::lint_paths_with(&files, &settings, &policies);
    }
    if stdin_count == 1 {
        let mut bytes = Vec::new();
        if let Err(e) = io::stdin()
            .lock()
            .take(settings.max_file_size + 1)
            .read_to_end(&mut bytes)
        {
            writeln!(stderr, "daemonlint: cannot read stdin: {e}")?;
            return Ok(2);
        }
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| "<stdin>".into());
        report
            .files
            .push(crate::lint_bytes_with(&name, bytes, &settings, &policies));
    }
    report::emit(format, &report, options, stdout)?;
    stdout.flush()?;
    Ok(report.exit_code(&settings))
}

#[derive(serde::Serialize)]
struct RuleEntry {
    id: &'static str,
    severity: crate::diagnostic::Severity,
    category: rules::Category,
    summary: &'static str,
    default_enabled: bool,
    fix: rules::FixKind,
    since: &'static str,
    url: String,
}

fn list_rules(args: &RulesArgs, stdout: &mut dyn Write) -> io::Result<i32> {
    let entries: Vec<RuleEntry> = rules::all_meta()
        .map(|m| RuleEntry {
            id: m.id,
            severity: m.default_severity,
            category: m.category,
            summary: m.summary,
            default_enabled: m.default_enabled,
            fix: m.fix,
            since: m.since,
            url: rules::docs_url(m.id),
        })
        .collect();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *stdout, &serde_json::json!({ "rules": entries }))
                .map_err(io::Error::other)?;
            writeln!(stdout)?;
        }
        ListFormat::Text => {
            let width = entries.iter().map(|e| e.id.len()).max().unwrap_or(0);
            for e in &entries {
                writeln!(
                    stdout,
                    "{:width$}  {:7}  {:11}  {}",
                    e.id,
                    e.severity.as_str(),
                    e.category.as_str(),
                    e.summary
                )?;
            }
        }
    }
    Ok(0)
}

fn show_rule(id: &str, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    match (rules::find(id), crate::rules_docs::body(id)) {
        (Some(meta), Some(body)) => {
            writeln!(
                stdout,
                "{} ({}, {}, default severity {})\n",
                meta.id,
                meta.category.as_str(),
                if meta.default_enabled {
                    "enabled by default"
                } else {
                    "off by default"
                },
                meta.default_severity
            )?;
            stdout.write_all(body.as_bytes())?;
            Ok(0)
        }
        _ => {
            let ids: Vec<&str> = rules::all_meta().map(|m| m.id).collect();
            let suggestion = ids
                .iter()
                .map(|c| (strsim::levenshtein(id, c), c))
                .min()
                .filter(|(d, _)| *d <= 3)
                .map(|(_, c)| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            writeln!(
                stderr,
                "daemonlint: unknown rule `{id}`{suggestion}; `daemonlint rules` lists them"
            )?;
            Ok(2)
        }
    }
}
