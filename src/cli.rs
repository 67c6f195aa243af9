//! Command-line definitions and their execution. Output goes to the writers passed in, so the
//! library never prints by itself.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigError, FailOn, Level, Overrides, Resolver, Selector};
use crate::outcome::{Discard, Emitter, Outcome, Phase, Report, Tee};
use crate::report::{self, FormatEmitter, OutputFormat, RenderOptions};
use crate::rules;
use crate::session::{self, FixOptions, Inputs, Linter, Stdin};
use crate::SettingsSource;

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
    Check(CheckArgs),
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
    /// Use this configuration file (on top of the one found by walking up from each file).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    pub isolated: bool,
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
    /// Globs of files or directories to skip (repeatable, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// The Kubernetes version whose schema `apps/v1` DaemonSets are checked against
    /// (1.30 to 1.37) [default: the newest].
    #[arg(long, value_name = "1.NN")]
    pub kube_version: Option<crate::schema::KubeVersion>,
    /// A custom policy file (repeatable); see `policies/examples/`.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// Largest file read, in bytes (default 67108864, 64 MiB); larger files are reported, not read.
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
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
    pub settings: SettingsArgs,
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
            exclude: self.exclude.clone(),
            max_file_size: self.max_file_size,
            policies: self.policies.clone(),
            kube_version: self.kube_version,
            ..Overrides::default()
        })
    }

    fn resolver_with(
        &self,
        cluster: Option<std::sync::Arc<crate::coverage::Cluster>>,
        inventory: bool,
        baseline: BaselineArgs<'_>,
    ) -> Result<Resolver, Result<Vec<ConfigError>, String>> {
        let mut overrides = self.overrides().map_err(Err)?;
        overrides.cluster = cluster;
        overrides.inventory = inventory;
        overrides.no_baseline = baseline.write.is_some();
        if let Some(path) = baseline.read {
            match crate::suppress_stage::Baseline::load(path) {
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
        Resolver::new(overrides, self.config.as_deref(), self.isolated).map_err(Ok)
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
        Command::Check(args) => check(&args, stdout, stderr),
        Command::Rules(args) => list_rules(&args, stdout),
        Command::Rule { id } => show_rule(&id, stdout, stderr),
        Command::Config(args) => show_config(&args, stdout, stderr),
        Command::Coverage(args) => coverage(&args, stdout, stderr),
        Command::Lsp { .. } => Ok(crate::lsp::run(io::stdin(), stdout)),
        Command::Inventory(args) => inventory(&args, stdout, stderr),
        Command::ReadYaml { paths } => read_yaml(&paths, stdout, stderr),
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

/// The output of a `check` run: its format, the human format for the terminal, colours and
/// the directory names are relative to.
struct Output {
    format: OutputFormat,
    human: OutputFormat,
    color: bool,
    cwd: Option<PathBuf>,
    summary: bool,
}

impl Output {
    fn new(args: &CheckArgs, configured: Option<OutputFormat>) -> Self {
        let terminal = io::stdout().is_terminal();
        let human = if terminal {
            OutputFormat::Full
        } else {
            OutputFormat::Concise
        };
        Self {
            format: args.format.or(configured).unwrap_or(human),
            human,
            color: match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
            },
            cwd: std::env::current_dir().ok(),
            summary: !args.no_summary,
        }
    }

    fn options(&self) -> RenderOptions<'_> {
        RenderOptions {
            color: self.color,
            summary: self.summary,
            src_root: self.cwd.as_deref(),
        }
    }
}

/// Run the linter into the output: to stdout, or with `--output-file` to that file in
/// `--format` while the terminal gets the human format. Gives the outcome and whether the
/// output file could be written.
fn emit_run(
    args: &CheckArgs,
    output: &Output,
    run: &mut dyn FnMut(&mut dyn Emitter) -> io::Result<Outcome>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<(Outcome, bool)> {
    let (format, options) = (output.format, output.options());
    let mut ok = true;
    let outcome = if let Some(path) = &args.output_file {
        let mut bytes = Vec::new();
        let plain = RenderOptions {
            color: false,
            ..options
        };
        let mut file = FormatEmitter::new(format, plain, &mut bytes)?;
        let outcome = {
            let mut human = FormatEmitter::new(output.human, options, &mut *stdout)?;
            run(&mut Tee(&mut human, &mut file))?
        };
        step_summary(format, &file, stderr)?;
        drop(file);
        if let Err(e) = crate::atomic::write(path, &bytes) {
            writeln!(stderr, "daemonlint: cannot write {}: {e}", path.display())?;
            ok = false;
        }
        outcome
    } else {
        let mut emitter = FormatEmitter::new(format, options, &mut *stdout)?;
        let outcome = run(&mut emitter)?;
        step_summary(format, &emitter, stderr)?;
        outcome
    };
    stdout.flush()?;
    Ok((outcome, ok))
}

/// With `--format github`, append the job summary to `$GITHUB_STEP_SUMMARY` when it is set.
fn step_summary(
    format: OutputFormat,
    emitter: &FormatEmitter<'_>,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    if format != OutputFormat::Github {
        return Ok(());
    }
    let (Some(path), Some(report)) = (
        std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()),
        emitter.whole(),
    ) else {
        return Ok(());
    };
    let path = Path::new(&path);
    if let Err(e) = report::github::append_step_summary(report, path) {
        writeln!(
            stderr,
            "daemonlint: cannot append the job summary to {}: {e}",
            path.display()
        )?;
    }
    Ok(())
}

/// Read stdin for `check -`: `Ok(None)` when `--force-exclude` excludes its
/// `--stdin-filename`, `Err` (reported) when it cannot be read.
fn read_stdin(
    args: &CheckArgs,
    resolver: &Resolver,
    stderr: &mut dyn Write,
) -> io::Result<Result<Option<Stdin>, ()>> {
    let name = args
        .stdin_filename
        .clone()
        .unwrap_or_else(|| "<stdin>".into());
    let named = args.stdin_filename.as_deref().map(Path::new);
    let settings = resolver.for_path(named);
    let excluded = args.force_exclude && named.is_some_and(|p| settings.is_excluded(p));
    let mut bytes = Vec::new();
    if let Err(e) = io::stdin()
        .lock()
        .take(settings.max_file_size + 1)
        .read_to_end(&mut bytes)
    {
        writeln!(stderr, "daemonlint: cannot read stdin: {e}")?;
        return Ok(Err(()));
    }
    Ok(Ok((!excluded).then_some(Stdin {
        name,
        bytes,
        settings_path: named.map(Path::to_path_buf),
    })))
}

/// `--write-baseline FILE`: record the report's findings, atomically.
fn write_baseline(report: &Report, path: &Path, stderr: &mut dyn Write) -> io::Result<i32> {
    if report.config_error {
        writeln!(
            stderr,
            "daemonlint: the configuration is broken; no baseline written"
        )?;
        return Ok(2);
    }
    let dir = std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let dir: PathBuf = dir
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let (text, count) = crate::suppress_stage::write(report, &dir);
    if let Err(e) = crate::atomic::write(path, text.as_bytes()) {
        writeln!(stderr, "daemonlint: cannot write {}: {e}", path.display())?;
        return Ok(2);
    }
    writeln!(
        stderr,
        "Wrote {} to {}.",
        plural(count, "baseline entry", "baseline entries"),
        path.display()
    )?;
    Ok(if report.files.iter().any(|f| f.io_error) {
        2
    } else {
        0
    })
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

fn coverage(
    args: &CoverageArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
    let Some(cluster) = load_nodes(&args.nodes, stderr)? else {
        return Ok(2);
    };
    let report = crate::coverage::report::analyze(&args.paths, &cluster);
    match args.format {
        ListFormat::Text => {
            crate::coverage::report::render_text(&report, stdout)?;
            for e in &report.errors {
                writeln!(stderr, "{e}")?;
            }
        }
        ListFormat::Json => crate::coverage::report::render_json(&report, stdout)?,
    }
    stdout.flush()?;
    Ok(report.exit_code())
}

fn check(args: &CheckArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let cluster = match &args.nodes {
        Some(path) => match load_nodes(path, stderr)? {
            Some(c) => Some(std::sync::Arc::new(c)),
            None => return Ok(2),
        },
        None => None,
    };
    let baseline = BaselineArgs {
        read: args.baseline.as_deref(),
        write: args.write_baseline.as_deref(),
    };
    let resolver = match args.settings.resolver_with(cluster, false, baseline) {
        Ok(r) => r,
        Err(Err(usage)) => {
            writeln!(stderr, "daemonlint: {usage}")?;
            return Ok(2);
        }
        Err(Ok(errors)) => {
            let output = Output::new(args, None);
            let mut report = Report {
                files: session::config_reports(errors),
                config_error: true,
                phase: Phase::Config,
                ..Report::default()
            };
            emit_run(
                args,
                &output,
                &mut |emitter| {
                    let outcome = Outcome {
                        totals: report::Totals::of(&report),
                    };
                    emitter.batch(&mut report)?;
                    emitter.finish(&outcome)?;
                    Ok(outcome)
                },
                stdout,
                stderr,
            )?;
            return Ok(2);
        }
    };
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let stdin_count = paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_count > 1 {
        writeln!(stderr, "daemonlint: `-` (stdin) can be given only once")?;
        return Ok(2);
    }
    let files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let base = resolver.settings_for(None);
    let linter = Linter::new(&resolver).show_suppressed(args.show_suppressed);
    let stdin = if stdin_count == 1 {
        match read_stdin(args, &resolver, stderr)? {
            Ok(input) => input,
            Err(()) => return Ok(2),
        }
    } else {
        None
    };
    if args.fix {
        if let Some(stdin) = stdin {
            // Editors pipe a buffer through `--fix -`: print the fixed text, nothing else.
            let fixed = linter.fix_text(stdin, args.unsafe_fixes);
            stdout.write_all(fixed.as_bytes())?;
            stdout.flush()?;
            return Ok(0);
        }
    }
    let inputs = Inputs {
        paths: files,
        shared: args.namespaces.iter().cloned().collect(),
        stdin,
        force_exclude: args.force_exclude,
        unused_suppressions: !args.fix && args.write_baseline.is_none(),
        ..Inputs::default()
    };
    if let Some(path) = &args.write_baseline {
        return write_baseline(&linter.report(&inputs), path, stderr);
    }
    if args.diff {
        let options = FixOptions {
            unsafe_fixes: args.unsafe_fixes,
            write: false,
        };
        let (outcome, summary) = linter.fix(&inputs, options, &mut Discard)?;
        for d in &summary.diffs {
            stdout.write_all(d.as_bytes())?;
        }
        writeln!(
            stderr,
            "{} would change {}",
            plural(summary.fixed, "fix", "fixes"),
            plural(summary.files, "file", "files")
        )?;
        stdout.flush()?;
        return Ok(if outcome.totals.config_error {
            2
        } else {
            i32::from(summary.fixed > 0)
        });
    }
    let output = Output::new(args, base.format);
    if args.fix {
        let options = FixOptions {
            unsafe_fixes: args.unsafe_fixes,
            write: true,
        };
        let mut summary = None;
        let (outcome, written) = emit_run(
            args,
            &output,
            &mut |emitter| {
                let (outcome, done) = linter.fix(&inputs, options, emitter)?;
                summary = Some(done);
                Ok(outcome)
            },
            stdout,
            stderr,
        )?;
        let summary = summary.unwrap_or_default();
        writeln!(
            stderr,
            "Fixed {} in {}.",
            plural(summary.fixed, "finding", "findings"),
            plural(summary.files, "file", "files")
        )?;
        return Ok(if written {
            outcome.exit_code(base.fail_on)
        } else {
            2
        });
    }
    let (outcome, written) = emit_run(
        args,
        &output,
        &mut |emitter| linter.run(&inputs, emitter),
        stdout,
        stderr,
    )?;
    Ok(if written {
        outcome.exit_code(base.fail_on)
    } else {
        2
    })
}

fn inventory(
    args: &InventoryArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
    let Some(resolver) = plain_resolver(&args.settings, true, stderr)? else {
        return Ok(2);
    };
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let (report, indexes) = Linter::new(&resolver).indexed(&paths);
    let inventory = crate::inventory::build(&report, &indexes);
    match args.format {
        InventoryFormat::Text => crate::inventory::render_text(&inventory, stdout)?,
        InventoryFormat::Json => crate::inventory::render_json(&inventory, stdout)?,
        InventoryFormat::Csv => crate::inventory::render_csv(&inventory, stdout)?,
        InventoryFormat::Markdown => crate::inventory::render_markdown(&inventory, stdout)?,
    }
    if args.format != InventoryFormat::Json {
        for e in &inventory.errors {
            writeln!(stderr, "{e}")?;
        }
    }
    stdout.flush()?;
    Ok(if report.files.iter().any(|f| f.io_error) {
        2
    } else {
        0
    })
}

fn show_config(
    args: &ConfigArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
    let Some(resolver) = plain_resolver(&args.settings, false, stderr)? else {
        return Ok(2);
    };
    let settings = resolver.settings_for(args.path.as_deref());
    let errors = resolver.take_errors();
    for e in &errors {
        let pos = e.source.line_col(e.span.start);
        writeln!(
            stderr,
            "{}:{}:{}: error[invalid-config] {}",
            e.source.name, pos.line, pos.column, e.message
        )?;
    }
    let rules: Vec<serde_json::Value> = rules::all_meta()
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "severity": settings.severity_of(m).map_or("off", |s| s.as_str()),
            })
        })
        .collect();
    let value = serde_json::json!({
        "path": args.path.as_ref().map(|p| p.display().to_string()),
        "settings": settings,
        "rules": rules,
    });
    serde_json::to_writer_pretty(&mut *stdout, &value).map_err(io::Error::other)?;
    writeln!(stdout)?;
    Ok(if errors.is_empty() { 0 } else { 2 })
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
            writeln!(
                stderr,
                "daemonlint: {}",
                config::unknown_rule_message(id).replace("rule or category", "rule")
            )?;
            Ok(2)
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The resolver for commands whose output is not a lint report: usage and configuration errors
/// go to stderr as `file:line:col: error[invalid-config] message`; `None` means exit 2.
/// `inventory` also indexes what that command shows ([`Settings::inventory`]).
fn plain_resolver(
    settings: &SettingsArgs,
    inventory: bool,
    stderr: &mut dyn Write,
) -> io::Result<Option<Resolver>> {
    match settings.resolver_with(None, inventory, BaselineArgs::default()) {
        Ok(r) => Ok(Some(r)),
        Err(Err(usage)) => {
            writeln!(stderr, "daemonlint: {usage}")?;
            Ok(None)
        }
        Err(Ok(errors)) => {
            for e in errors {
                let pos = e.source.line_col(e.span.start);
                writeln!(
                    stderr,
                    "{}:{}:{}: error[invalid-config] {}",
                    e.source.name, pos.line, pos.column, e.message
                )?;
            }
            Ok(None)
        }
    }
}

/// The hidden `read-yaml` command: every document of each file as one JSON line,
/// `{"file": F, "document": N, "line": L, "json": ...}` or `{..., "error": "..."}`.
fn read_yaml(paths: &[PathBuf], stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<i32> {
    let mut code = 0;
    for path in paths {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                writeln!(stderr, "daemonlint: {}: {e}", path.display())?;
                code = 2;
                continue;
            }
        };
        let index = crate::source::LineIndex::new(&text);
        let limits = crate::yaml::Limits::default();
        for doc in crate::yaml::documents(&text, limits) {
            let (document, span, value) = match &doc {
                Ok(doc) => {
                    let value = match doc.root() {
                        None => Ok(serde_json::Value::Null),
                        Some(root) => crate::yaml::json::to_json(root, limits.max_expanded_nodes)
                            .map_err(|_| "alias expansion limit".to_string()),
                    };
                    (doc.index, doc.span, value)
                }
                Err(e) => (e.document, e.span, Err(e.message.clone())),
            };
            let line = index.line_col(&text, span.start).line;
            let record = match value {
                Ok(json) => serde_json::json!({
                    "file": path, "document": document, "line": line, "json": json
                }),
                Err(error) => serde_json::json!({
                    "file": path, "document": document, "line": line, "error": error
                }),
            };
            writeln!(stdout, "{record}")?;
        }
    }
    Ok(code)
}
