//! Rich rendering with miette, over a line-indexed source (stock miette scans from byte 0 for
//! every label, which is quadratic on large files).

use std::io::{self, Write};

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::RenderOptions;
use crate::diagnostic::{Diagnostic, Severity};
use crate::outcome::Report;
use crate::source::SourceFile;

/// A `SourceCode` that finds context lines through the file's line index.
struct Indexed<'a>(&'a SourceFile);

impl SourceCode for Indexed<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        // Spans are file offsets; a window's text starts at `base` (line `base_line`).
        let text = self.0.text.as_str();
        let index = self.0.line_index();
        let base = self.0.base_offset() as usize;
        let start = span
            .offset()
            .checked_sub(base)
            .ok_or(MietteError::OutOfBounds)?;
        let end = start + span.len();
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = index.line_of(u32::try_from(start).unwrap_or(u32::MAX));
        let last_line =
            index.line_of(u32::try_from(end.saturating_sub(1).max(start)).unwrap_or(u32::MAX));
        let ctx_first = first_line.saturating_sub(before);
        let ctx_last = (last_line + after).min(index.line_count().saturating_sub(1));
        let data_start = index.line_start(ctx_first) as usize;
        let data_end = if ctx_last + 1 < index.line_count() {
            index.line_start(ctx_last + 1) as usize
        } else {
            text.len()
        };
        let column = if before == 0 {
            start - index.line_start(first_line) as usize
        } else {
            0
        };
        let data_start = data_start.min(start);
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            &text.as_bytes()[data_start..data_end.max(data_start)],
            (base + data_start, data_end.max(data_start) - data_start).into(),
            ctx_first + self.0.base_line() as usize,
            column,
            ctx_last - ctx_first + 1,
        )))
    }
}

struct Rendered<'a> {
    d: &'a Diagnostic,
    source: Indexed<'a>,
    url: String,
}

impl std::fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Rendered<'_> {}

/// A span clamped to the source's bytes (`base..end`, file offsets).
fn clamp(span: crate::source::Span, source: &SourceFile) -> SourceSpan {
    let base = source.base_offset() as usize;
    let end_of_text = base + source.text.len();
    let start = (span.start as usize).clamp(base, end_of_text);
    let end = (span.end as usize).min(end_of_text).max(start);
    (start, end - start).into()
}

impl MietteDiagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.d.rule.as_ref()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        // A custom policy without `docs` has no page.
        (!self.url.is_empty()).then(|| Box::new(&self.url) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source.0;
        let primary = LabeledSpan::new_primary_with_span(
            Some(self.d.path.clone().unwrap_or_else(|| "here".into())),
            clamp(self.d.span, source),
        );
        let secondary = self
            .d
            .labels
            .iter()
            .filter(|l| l.file.is_none())
            .map(move |l| {
                LabeledSpan::new_with_span(Some(l.message.clone()), clamp(l.span, source))
            });
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

pub fn emit(report: &Report, options: RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    for (file, d) in report.diagnostics() {
        let rendered = Rendered {
            d,
            source: Indexed(&file.source),
            url: d.docs_url(),
        };
        let mut buf = String::new();
        if file.source.text.is_empty() {
            let pos = file.source.line_col(d.span.start);
            buf = format!(
                "{}[{}]: {}: {}\n",
                d.severity, d.rule, file.source.name, d.message
            );
            let _ = pos;
        } else if handler.render_report(&mut buf, &rendered).is_err() {
            buf = format!("{}[{}]: {}\n", d.severity, d.rule, d.message);
        }
        out.write_all(buf.as_bytes())?;
        // Labels in other files cannot share the excerpt: they become notes.
        for (l, file) in d.labels.iter().filter_map(|l| Some((l, l.file?))) {
            let (name, line, column) = super::label_position(report, file, l.span);
            writeln!(out, "  = note: {name}:{line}:{column}: {}", l.message)?;
        }
        writeln!(out)?;
    }
    Ok(())
}
