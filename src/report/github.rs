//! GitHub Actions workflow commands (`::warning file=…,line=…::message`): the runner turns each
//! line into an annotation on the pull request. [`step_summary`] renders the Markdown job
//! summary that the CLI appends to `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::{relative_name, RenderOptions};
use crate::diagnostic::Severity;
use crate::outcome::Report;

/// Escapes a command's message as the runner expects (`%`, CR and LF).
#[must_use]
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command's property value: the message escapes plus `:` and `,`, which separate
/// properties.
#[must_use]
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn emit(report: &Report, options: RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    for (file, d) in report.diagnostics() {
        let (start, end) = file.source.span_positions(d.span);
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\n\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command(d.severity),
            escape_property(&relative_name(&file.source.name, options.src_root)),
            start.line,
            start.column,
            end.line,
            end.column,
            escape_property(&d.rule),
            escape_data(&message)
        )?;
    }
    Ok(())
}

/// Markdown for a job summary: the summary line, then finding counts per rule and per file.
pub fn step_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut text = String::from("\n### daemonlint\n\n");
    let mut line = Vec::new();
    super::summary(&super::Totals::of(report), &mut line)?;
    text.push_str(&String::from_utf8_lossy(&line));
    // Rules: (id, worst severity, count), in registry order.
    let mut rules: Vec<(&str, Severity, usize)> = Vec::new();
    for (_, d) in report.diagnostics() {
        match rules.iter_mut().find(|(id, _, _)| *id == d.rule) {
            Some(entry) => {
                entry.1 = entry.1.max(d.severity);
                entry.2 += 1;
            }
            None => rules.push((&d.rule, d.severity, 1)),
        }
    }
    if !rules.is_empty() {
        let order: Vec<&str> = crate::rules::all_meta().map(|m| m.id).collect();
        rules.sort_by_key(|(id, _, _)| order.iter().position(|o| o == id));
        text.push_str("\n| Rule | Severity | Findings |\n| --- | --- | ---: |\n");
        for (id, severity, count) in rules {
            let _ = writeln!(
                text,
                "| [{}]({}) | {severity} | {count} |",
                code_span(id),
                crate::rules::docs_url(id)
            );
        }
        text.push_str("\n| File | Errors | Warnings | Info |\n| --- | ---: | ---: | ---: |\n");
        for file in report
            .files
            .iter()
            .filter(|f| report.visible(f).next().is_some())
        {
            let count = |s: Severity| report.visible(file).filter(|d| d.severity == s).count();
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} |",
                code_span(&file.source.name),
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info)
            );
        }
    }
    text.push('\n');
    out.write_all(text.as_bytes())
}

/// Appends [`step_summary`] to a file (the path GitHub gives in `GITHUB_STEP_SUMMARY`).
pub fn append_step_summary(report: &Report, path: &Path) -> io::Result<()> {
    let mut text = Vec::new();
    step_summary(report, &mut text)?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(&text)
}

/// A Markdown code span that survives inside a table cell: the fence is longer than any run of
/// backticks in the text, `|` is escaped and line breaks become spaces.
fn code_span(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    let body = text.replace('|', "\\|").replace(['\r', '\n'], " ");
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_github_documents() {
        assert_eq!(escape_data("100% a:b, c\r\nd"), "100%25 a:b, c%0D%0Ad");
        assert_eq!(
            escape_property("dir,x/a:b%.yaml\n"),
            "dir%2Cx/a%3Ab%25.yaml%0A"
        );
    }

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code_span("a.yaml"), "`a.yaml`");
        assert_eq!(code_span("a`b|c.yaml"), "``a`b\\|c.yaml``");
        assert_eq!(code_span("`x"), "`` `x ``");
    }
}
