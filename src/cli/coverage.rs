//! `daemonlint coverage`: on which nodes each DaemonSet runs.

use std::io::{self, Write};

use super::{config_error_line, load_nodes, plain_resolver, CoverageArgs, ListFormat};
use crate::session::Linter;

pub(super) fn coverage(
    args: &CoverageArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
    let Some(resolver) = plain_resolver(&args.files.settings(), stderr)? else {
        return Ok(2);
    };
    let Some(cluster) = load_nodes(&args.nodes, stderr)? else {
        return Ok(2);
    };
    let linter = Linter::new(&resolver);
    let mut report = crate::coverage::report::analyze(&linter, &args.paths, &cluster);
    // Configuration files met on the way that could not be used.
    report
        .errors
        .extend(resolver.take_errors().iter().map(config_error_line));
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
