//! The JSON contract (version 1), documented in the book (`docs/src/reference/json.md`). Fields are only ever added.

use std::io::{self, Write};

use serde::Serialize;

use crate::outcome::Report;

#[derive(Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    daemonsets: usize,
    other_objects: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    suppressed: usize,
}

/// One finding as a JSON object, fields in the contract's order. Written by hand rather than
/// through serde: the strings are most of the output (about three times the input's size on
/// big files), and `write_str` passes runs that need no escaping eight bytes at a time. The
/// bytes are exactly serde_json's (`tests/it/stream.rs` and the snapshots compare them).
fn write_diagnostic(
    out: &mut Vec<u8>,
    report: &Report,
    file: &crate::outcome::FileReport,
    d: &crate::diagnostic::Diagnostic,
) -> io::Result<()> {
    out.extend_from_slice(b"{\"rule\":");
    write_str(out, &d.rule);
    out.extend_from_slice(b",\"severity\":");
    serde_json::to_writer(&mut *out, &d.severity).map_err(io::Error::other)?;
    out.extend_from_slice(b",\"message\":");
    write_str(out, &d.message);
    out.extend_from_slice(b",\"help\":");
    write_opt_str(out, d.help.as_deref());
    out.extend_from_slice(b",\"file\":");
    write_str(out, &file.source.name);
    out.push(b',');
    write_position(out, &file.source, d.span);
    write_offsets(out, d.span);
    out.extend_from_slice(b",\"path\":");
    write_opt_str(out, d.path.as_deref());
    out.extend_from_slice(b",\"document\":");
    write_int(out, u64::try_from(d.document).unwrap_or(u64::MAX));
    out.extend_from_slice(b",\"object\":");
    serde_json::to_writer(&mut *out, &d.object.as_deref()).map_err(io::Error::other)?;
    out.extend_from_slice(b",\"labels\":[");
    for (i, label) in d.labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // A label may point into another source of the run, resolved through its table.
        let other = label.file.map(|id| report.sources.try_get(id));
        out.extend_from_slice(b"{\"message\":");
        write_str(out, &label.message);
        if let Some(other) = &other {
            out.extend_from_slice(b",\"file\":");
            write_str(out, other.as_ref().map_or("", |e| e.name.as_str()));
        }
        out.push(b',');
        match other.flatten() {
            Some(entry) => write_positions(out, entry.span_positions(label.span)),
            None => write_position(out, &file.source, label.span),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"fix\":");
    match &d.fix {
        None => out.extend_from_slice(b"null"),
        Some(fix) => {
            out.extend_from_slice(b"{\"description\":");
            write_str(out, &fix.description);
            out.extend_from_slice(b",\"applicability\":");
            serde_json::to_writer(&mut *out, &fix.applicability).map_err(io::Error::other)?;
            out.extend_from_slice(b",\"edits\":[");
            for (i, edit) in fix.edits.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'{');
                write_position(out, &file.source, edit.span);
                write_offsets(out, edit.span);
                out.extend_from_slice(b",\"replacement\":");
                write_str(out, &edit.replacement);
                out.push(b'}');
            }
            out.extend_from_slice(b"]}");
        }
    }
    out.extend_from_slice(b",\"url\":\"https://github.com/daemonlint/daemonlint/blob/main/rules/");
    write_str_contents(out, &d.rule);
    out.extend_from_slice(b".md\",\"container\":");
    write_opt_str(out, d.container.as_deref());
    out.extend_from_slice(b",\"suppressed\":");
    serde_json::to_writer(&mut *out, &d.suppressed).map_err(io::Error::other)?;
    // Only findings of a derived text (a rendered chart, a built overlay) say how they were
    // mapped to the file shown.
    if let Some(mapping) = &d.mapping {
        out.extend_from_slice(b",\"mapping\":");
        write_str(out, mapping.precision.as_str());
        if let Some(rendered) = &mapping.rendered {
            out.extend_from_slice(b",\"rendered\":");
            serde_json::to_writer(&mut *out, &**rendered).map_err(io::Error::other)?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// `"line":…,"column":…,"end_line":…,"end_column":…` of `span` in `source`.
fn write_position(
    out: &mut Vec<u8>,
    source: &crate::source::SourceFile,
    span: crate::source::Span,
) {
    write_positions(out, source.span_positions(span));
}

fn write_positions(
    out: &mut Vec<u8>,
    (start, end): (crate::source::LineCol, crate::source::LineCol),
) {
    out.extend_from_slice(b"\"line\":");
    write_int(out, start.line);
    out.extend_from_slice(b",\"column\":");
    write_int(out, start.column);
    out.extend_from_slice(b",\"end_line\":");
    write_int(out, end.line);
    out.extend_from_slice(b",\"end_column\":");
    write_int(out, end.column);
}

fn write_offsets(out: &mut Vec<u8>, span: crate::source::Span) {
    out.extend_from_slice(b",\"start_offset\":");
    write_int(out, span.start);
    out.extend_from_slice(b",\"end_offset\":");
    write_int(out, span.end);
}

fn write_int(out: &mut Vec<u8>, n: impl Into<u64>) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest: u64 = n.into();
    loop {
        i -= 1;
        digits[i] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string, escaped as serde_json escapes it: `"`, `\\`, and the control characters
/// (`\b \f \n \r \t`, the others as `\u00XX`); everything else as it is.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_str_contents(out, s);
    out.push(b'"');
}

/// The inside of a JSON string (see [`write_str`]).
fn write_str_contents(out: &mut Vec<u8>, s: &str) {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether a byte of `w` is zero (exact for "any", the standard bit trick).
    let has_zero = |w: u64| w.wrapping_sub(LOW) & !w & HIGH != 0;
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes[i..].first_chunk::<8>() {
            let w = u64::from_le_bytes(*chunk);
            // No byte below 0x20, no `"`, no `\\`: the eight bytes go out as they are.
            let below_space = w.wrapping_sub(LOW * 0x20) & !w & HIGH != 0;
            if !below_space
                && !has_zero(w ^ (LOW * u64::from(b'"')))
                && !has_zero(w ^ (LOW * u64::from(b'\\')))
            {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let short = match b {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            0x08 => Some(b'b'),
            0x0c => Some(b'f'),
            b'\n' => Some(b'n'),
            b'\r' => Some(b'r'),
            b'\t' => Some(b't'),
            0..=0x1f => None,
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        match short {
            Some(c) => out.extend_from_slice(&[b'\\', c]),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Findings serialized per parallel task: large enough to amortise the task, small enough to
/// spread a file's findings over every core.
const CHUNK: usize = 512;
/// Findings serialized before the bytes are written out: the output is never held whole.
const WINDOW: usize = 8 * CHUNK;

/// `{"version":1,"diagnostics":[` — the findings follow, batch by batch.
pub fn begin(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{\"version\":1,\"diagnostics\":[")
}

/// The findings of one report (a part of the run), serialized in parallel chunks; their order
/// stays the report's. `first`: no finding was written yet.
pub fn batch(report: &Report, first: &mut bool, out: &mut dyn Write) -> io::Result<()> {
    use rayon::prelude::*;
    let findings: Vec<_> = report.diagnostics().collect();
    for window in findings.chunks(WINDOW) {
        let serialize =
            |chunk: &[(&crate::outcome::FileReport, &crate::diagnostic::Diagnostic)]| {
                let mut buf = Vec::with_capacity(chunk.len() * 512);
                for (file, d) in chunk {
                    buf.push(b',');
                    write_diagnostic(&mut buf, report, file, d)?;
                }
                Ok(buf)
            };
        // A small output is not worth starting the thread pool for.
        let parts: Vec<Vec<u8>> = if window.len() > CHUNK {
            window
                .par_chunks(CHUNK)
                .map(serialize)
                .collect::<io::Result<_>>()?
        } else {
            vec![serialize(window)?]
        };
        for part in &parts {
            // Every finding was written after a comma; the very first one needs none.
            let bytes = if *first { &part[1..] } else { &part[..] };
            *first = false;
            out.write_all(bytes)?;
        }
    }
    Ok(())
}

/// `],"summary":{...}}` and a newline.
pub fn end(totals: &super::Totals, out: &mut dyn Write) -> io::Result<()> {
    let summary = Summary {
        files: totals.stats.files,
        documents: totals.stats.documents,
        daemonsets: totals.stats.daemonsets,
        other_objects: totals.stats.other_objects,
        findings: totals.findings(),
        errors: totals.errors,
        warnings: totals.warnings,
        infos: totals.infos,
        suppressed: totals.suppressed,
    };
    out.write_all(b"],\"summary\":")?;
    serde_json::to_writer(&mut *out, &summary).map_err(io::Error::other)?;
    writeln!(out, "}}")
}

#[cfg(test)]
mod tests {
    use super::write_str;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain ascii text longer than eight bytes".into(),
            "é ü 漢字 — \u{7f} \u{85} \u{2028}".into(),
            "tab\there, newline\nthere, quote\" and backslash\\ ".into(),
        ];
        // Every ASCII character, at every offset within and across the eight-byte chunks.
        for c in 0u8..0x80 {
            for offset in 0..17 {
                let mut s = "x".repeat(offset);
                s.push(char::from(c));
                s.push_str("yyyyyyyyy");
                cases.push(s);
            }
        }
        for s in cases {
            let mut ours = Vec::new();
            write_str(&mut ours, &s);
            let theirs = serde_json::to_vec(&s).expect("serializes");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{s:?}"
            );
        }
    }
}
