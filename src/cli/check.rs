//! `daemonlint check`: lint, fix, write a baseline; every format through one [`Linter`] run.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use super::{load_nodes, plural, BaselineArgs, CheckArgs, ColorArg};
use crate::config::Resolver;
use crate::outcome::{Discard, Emitter, Outcome, Phase, Report, Tee};
use crate::report::{self, FormatEmitter, OutputFormat, RenderOptions};
use crate::session::{self, FixOptions, Inputs, Linter, Stdin};
use crate::SettingsSource;

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

/// How the input stage renders charts and overlays: the flags.
fn render_options(args: &CheckArgs, base: &crate::config::Settings) -> crate::input::Options {
    let render = &args.render;
    let configured = &base.render;
    let mut options = crate::input::Options::default();
    options.helm.helm.clone_from(&configured.helm);
    if let Some(release) = &configured.release {
        options.helm.release.clone_from(release);
    }
    options.helm.namespace.clone_from(&configured.namespace);
    if let Some(secs) = configured.helm_timeout {
        options.helm.timeout = std::time::Duration::from_secs(secs);
    }
    options.value_sets = configured
        .value_sets
        .iter()
        .map(|(chart, name, values)| crate::input::ValueSet {
            chart: chart.clone(),
            name: name.clone(),
            values: values.clone(),
        })
        .collect();
    if let Some(tool) = &configured.kustomize {
        if tool.file_name().is_some_and(|n| n == "kustomize") {
            options.kustomize.kustomize = Some(tool.clone());
        } else {
            options.kustomize.kubectl = Some(tool.clone());
        }
    }
    if let Some(secs) = configured.kustomize_timeout {
        options.kustomize.timeout = std::time::Duration::from_secs(secs);
    }
    if render.helm.is_some() {
        options.helm.helm.clone_from(&render.helm);
    }
    options.helm.values.clone_from(&render.values);
    options.helm.set_values.clone_from(&render.set);
    if let Some(release) = &render.release {
        options.helm.release.clone_from(release);
    }
    if render.helm_namespace.is_some() {
        options.helm.namespace.clone_from(&render.helm_namespace);
    }
    options.helm.kube_version = args.settings.kube_version.map(|v| v.to_string());
    if render.kubectl.is_some() {
        options.kustomize.kubectl.clone_from(&render.kubectl);
    }
    if render.kustomize.is_some() {
        options.kustomize.kustomize.clone_from(&render.kustomize);
    }
    options
}

pub(super) fn check(
    args: &CheckArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
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
    let resolver = match args.settings.resolver_with(baseline) {
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
    let linter = Linter::new(&resolver)
        .nodes(cluster)
        .show_suppressed(args.show_suppressed);
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
    let prepared = crate::input::prepare(&files, &render_options(args, &base));
    for message in &prepared.missing_tools {
        writeln!(stderr, "daemonlint: {message}")?;
    }
    let inputs = Inputs {
        paths: prepared.paths,
        skip: std::sync::Arc::new(prepared.skip),
        derived: prepared.derived,
        prepared: prepared.problems,
        sources: prepared.sources,
        shared: args.namespaces.iter().cloned().collect(),
        stdin,
        force_exclude: args.force_exclude,
        unused_suppressions: !args.fix && args.write_baseline.is_none(),
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
                if inputs.derived.is_empty() {
                    let (outcome, done) = linter.fix(&inputs, options, emitter)?;
                    summary = Some(done);
                    return Ok(outcome);
                }
                // The renderings were made before the fixes: render again, then report.
                let (_, done) = linter.fix(&inputs, options, &mut Discard)?;
                summary = Some(done);
                let again = crate::input::prepare(&files, &render_options(args, &base));
                let inputs = Inputs {
                    paths: again.paths,
                    skip: std::sync::Arc::new(again.skip),
                    derived: again.derived,
                    prepared: again.problems,
                    ..inputs.clone()
                };
                linter.run(&inputs, emitter)
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
