//! Command-line definitions and their execution. Output goes to the writers passed in, so the
//! library never prints by itself.

mod check;
mod coverage;
mod inventory;
mod list_rules;
mod read_yaml;
mod show_config;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigError, FailOn, Level, Overrides, Resolver, Selector};
use crate::report::OutputFormat;
use crate::rules;

#[derive(Debug, Parser)]
#[command(
    name = "daemonlint",
    version = env!("DAEMONLINT_VERSION"),
    about = "A linter and policy checker for Kubernetes DaemonSet manifests"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint manifests (files, directories, or `-` for stdin).
    Check(Box<CheckArgs>),
    /// List every rule.
    Rules(RulesArgs),
    /// Show a rule's documentation.
    Rule {
        /// The rule id, e.g. `writable-host-path`.
        id: String,
    },
    /// Print the resolved settings for a path, to see why a rule did or did not run.
    Config(ConfigArgs),
    /// Show on which nodes each DaemonSet runs, why not elsewhere, its cost and rollout size.
    Coverage(CoverageArgs),
    /// Run the language server (LSP on stdin/stdout) for editors.
    Lsp {
        /// Speak LSP on stdin/stdout: the only transport, and the default. Accepted (and
        /// ignored) because many clients pass it.
        #[arg(long)]
        stdio: bool,
    },
    /// List each DaemonSet's node-level access: privileges, host namespaces and ports, hostPath
    /// mounts, capabilities, service account bindings and Pod Security Standards level.
    Inventory(InventoryArgs),
    /// Print each YAML document of the files as the JSON daemonlint reads (one line each, or
    /// the error), for differential tests against Kubernetes' own reader.
    #[command(hide = true)]
    ReadYaml {
        /// Files to read.
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Manifests (files or directories); defaults to the current directory.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: InventoryFormat,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    Text,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Flags that select settings, shared by `check` and `config`.
#[derive(Debug, Args, Default)]
pub struct SettingsArgs {
    #[command(flatten)]
    pub files: FilesArgs,
    /// Rules or categories to run, replacing the default set (comma-separated; `all`).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,
    /// Rules or categories not to run (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Set a rule's severity: `RULE=off|info|warning|error` (repeatable).
    #[arg(long, value_name = "RULE=LEVEL")]
    pub severity: Vec<String>,
    /// The lowest severity that makes the run fail (exit code 1) [default: warning].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 0 even when there are findings (same as `--fail-on never`).
    #[arg(long)]
    pub exit_zero: bool,
    /// The Kubernetes version whose schema `apps/v1` DaemonSets are checked against
    /// (1.30 to 1.37) [default: the newest].
    #[arg(long, value_name = "1.NN")]
    pub kube_version: Option<crate::schema::KubeVersion>,
    /// A custom policy file (repeatable); see `policies/examples/`.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint; `-` reads stdin. Defaults to the current directory.
    pub paths: Vec<PathBuf>,
    /// Output format [default: the config file's, else full on a terminal, concise otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write the report in `--format` to FILE (replaced atomically); the terminal still gets
    /// the human format. With `--format github`, a job summary is also appended to
    /// `$GITHUB_STEP_SUMMARY` when that is set.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// The file name to report for stdin input; its configuration applies.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Apply excludes to files named on the command line too (what pre-commit needs).
    #[arg(long)]
    pub force_exclude: bool,
    /// Apply safe fixes in place, then report what remains.
    #[arg(long)]
    pub fix: bool,
    /// Also apply fixes that change behaviour (with `--fix` or `--diff`).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff and write nothing (exit 1 when there are changes).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// Also show findings silenced by suppressions.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Hide the findings recorded in this baseline file (written by `--write-baseline`);
    /// entries that match nothing are reported. Replaces the configuration's `baseline`.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in FILE (replaced atomically) and exit: runs with
    /// `--baseline FILE` then report only new findings.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff", "baseline"])]
    pub write_baseline: Option<PathBuf>,
    /// Do not print the closing summary line.
    #[arg(long)]
    pub no_summary: bool,
    /// When to use colors in the full format.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// Nodes (`kubectl get nodes -o yaml` output, a directory of Node files, or a synthetic
    /// description): rules name the nodes they are about.
    #[arg(long, value_name = "FILE|DIR")]
    pub nodes: Option<PathBuf>,
    /// Namespaces (e.g. `kubectl get ns -o yaml` output) for `pod-security-admission` and the
    /// other run-level checks; linted together with the paths.
    #[arg(long, value_name = "FILE")]
    pub namespaces: Option<PathBuf>,
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// How charts and kustomizations are rendered (see the Helm and Kustomize pages).
#[derive(Debug, Args, Default)]
pub struct RenderArgs {
    /// The helm binary that renders charts [default: the configuration's `helm.path`, else
    /// `helm` on PATH].
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,
    /// A values file for every chart, after its `values.yaml` (repeatable, in order).
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// A `helm template --set KEY=VALUE` for every chart (repeatable, in order).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Helm's release name [default: the configuration's `helm.release`, else `release`].
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
    /// The namespace charts are rendered into (`helm template --namespace`).
    #[arg(long, value_name = "NS")]
    pub helm_namespace: Option<String>,
    /// The kubectl whose built-in kustomize builds overlays [default: `kubectl` on PATH].
    #[arg(long, value_name = "PATH")]
    pub kubectl: Option<PathBuf>,
    /// A kustomize binary to build overlays with instead of kubectl.
    #[arg(long, value_name = "PATH")]
    pub kustomize: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// DaemonSet manifests (files or directories).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Nodes: `kubectl get nodes -o yaml` (or `-o json`) output, a directory of Node files, or a
    /// synthetic description (`synthetic: [{count, name, labels, taints, allocatable}]`).
    #[arg(long, value_name = "FILE|DIR")]
    pub nodes: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
    #[command(flatten)]
    pub files: FilesArgs,
}

/// Which configuration applies and which files are read; alone, for a command that reads
/// manifests without linting them (`coverage`): the files `check` would read.
#[derive(Clone, Debug, Args, Default)]
pub struct FilesArgs {
    /// Use this configuration file (on top of the one found by walking up from each file).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    pub isolated: bool,
    /// Globs of files or directories to skip (repeatable, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Largest file read, in bytes (default 67108864, 64 MiB); larger files are reported, not read.
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
}

impl FilesArgs {
    /// As settings flags (the others left at their defaults).
    fn settings(&self) -> SettingsArgs {
        SettingsArgs {
            files: self.clone(),
            ..SettingsArgs::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The file whose settings to show (default: the working directory).
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub settings: SettingsArgs,
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

impl SettingsArgs {
    /// The command-line layer of the settings, or a usage error.
    pub fn overrides(&self) -> Result<Overrides, String> {
        let parse = |list: &[String]| -> Result<Vec<Selector>, String> {
            list.iter().map(|s| Selector::parse(s.trim())).collect()
        };
        let mut severity = Vec::new();
        for item in &self.severity {
            let (rule, level) = item
                .split_once('=')
                .ok_or_else(|| format!("`--severity {item}`: expected RULE=LEVEL"))?;
            if rules::find(rule).is_none() {
                return Err(config::unknown_rule_message(rule));
            }
            let level = Level::parse(level).ok_or_else(|| {
                format!("`--severity {item}`: the level must be off, info, warning or error")
            })?;
            severity.push((rule.to_string(), level));
        }
        Ok(Overrides {
            select: if self.select.is_empty() {
                None
            } else {
                Some(parse(&self.select)?)
            },
            ignore: parse(&self.ignore)?,
            severity,
            fail_on: if self.exit_zero {
                Some(FailOn::Never)
            } else {
                self.fail_on
            },
            exclude: self.files.exclude.clone(),
            max_file_size: self.files.max_file_size,
            policies: self.policies.clone(),
            kube_version: self.kube_version,
            ..Overrides::default()
        })
    }

    fn resolver_with(
        &self,
        baseline: BaselineArgs<'_>,
    ) -> Result<Resolver, Result<Vec<ConfigError>, String>> {
        let mut overrides = self.overrides().map_err(Err)?;
        overrides.no_baseline = baseline.write.is_some();
        if let Some(path) = baseline.read {
            match crate::settings::exemptions::Baseline::load(path) {
                Ok(b) => overrides.baseline = Some(std::sync::Arc::new(b)),
                Err((source, errors)) => {
                    return Err(Ok(errors
                        .into_iter()
                        .map(|(span, message)| ConfigError {
                            source: std::sync::Arc::clone(&source),
                            span,
                            message,
                        })
                        .collect()));
                }
            }
        }
        Resolver::new(overrides, self.files.config.as_deref(), self.files.isolated).map_err(Ok)
    }
}

/// `--baseline` and `--write-baseline`.
#[derive(Clone, Copy, Default)]
struct BaselineArgs<'a> {
    read: Option<&'a Path>,
    write: Option<&'a Path>,
}

/// Run a parsed command line; returns the exit code.
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let result = match cli.command {
        Command::Check(args) => check::check(&args, stdout, stderr),
        Command::Rules(args) => list_rules::list_rules(&args, stdout),
        Command::Rule { id } => list_rules::show_rule(&id, stdout, stderr),
        Command::Config(args) => show_config::show_config(&args, stdout, stderr),
        Command::Coverage(args) => coverage::coverage(&args, stdout, stderr),
        Command::Lsp { .. } => Ok(crate::lsp::run(io::stdin(), stdout)),
        Command::Inventory(args) => inventory::inventory(&args, stdout, stderr),
        Command::ReadYaml { paths } => read_yaml::read_yaml(&paths, stdout, stderr),
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

fn load_nodes(path: &Path, stderr: &mut dyn Write) -> io::Result<Option<crate::coverage::Cluster>> {
    match crate::coverage::nodes::load(path) {
        Ok(cluster) => Ok(Some(cluster)),
        Err(errors) => {
            for e in errors {
                writeln!(stderr, "{e}")?;
            }
            Ok(None)
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The resolver for commands whose output is not a lint report: usage and configuration errors
/// go to stderr as `file:line:col: error[invalid-config] message`; `None` means exit 2.
fn plain_resolver(settings: &SettingsArgs, stderr: &mut dyn Write) -> io::Result<Option<Resolver>> {
    match settings.resolver_with(BaselineArgs::default()) {
        Ok(r) => Ok(Some(r)),
        Err(Err(usage)) => {
            writeln!(stderr, "daemonlint: {usage}")?;
            Ok(None)
        }
        Err(Ok(errors)) => {
            for e in errors {
                writeln!(stderr, "{}", config_error_line(&e))?;
            }
            Ok(None)
        }
    }
}

/// A configuration error as one line: `file:line:col: error[invalid-config] message`.
fn config_error_line(e: &ConfigError) -> String {
    let pos = e.source.line_col(e.span.start);
    format!(
        "{}:{}:{}: error[invalid-config] {}",
        e.source.name, pos.line, pos.column, e.message
    )
}
