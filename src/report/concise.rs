//! `file:line:col: severity[rule] message`, one line per finding.

use std::io::{self, Write};

use super::RenderOptions;
use crate::outcome::Report;

pub fn emit(report: &Report, _options: RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    for (file, d) in report.diagnostics() {
        let pos = file.source.line_col(d.span.start);
        write!(
            out,
            "{}:{}:{}: {}[{}] {}",
            file.source.name, pos.line, pos.column, d.severity, d.rule, d.message
        )?;
        match &d.suppressed {
            Some(s) => writeln!(
                out,
                " (suppressed by {}: {})",
                s.kind,
                s.reason.as_deref().unwrap_or("no reason")
            )?,
            None => writeln!(out)?,
        }
        // Related locations in other files (a cross-object finding's other object).
        for (l, file) in d.labels.iter().filter_map(|l| Some((l, l.file?))) {
            let (name, line, column) = super::label_position(report, file, l.span);
            writeln!(out, "    = note: {name}:{line}:{column}: {}", l.message)?;
        }
    }
    Ok(())
}
