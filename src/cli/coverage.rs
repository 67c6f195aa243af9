//! `daemonlint coverage`: on which nodes each DaemonSet runs.

use std::io::{self, Write};

use super::{load_nodes, CoverageArgs, ListFormat};

pub(super) fn coverage(
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
