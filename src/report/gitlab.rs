//! GitLab Code Quality (a subset of the Code Climate issue format): a JSON array with one issue
//! per finding. Fingerprints hash the rule, file, object and YAML path, never line numbers, so a
//! finding keeps its identity when lines above it move.

use std::io::{self, Write};

use serde::Serialize;

use super::{relative_name, RenderOptions};
use crate::diagnostic::Severity;
use crate::outcome::Report;
use crate::rules::{self, Category};

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: &'a str,
    categories: [&'static str; 1],
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    positions: Positions,
}

#[derive(Serialize)]
struct Positions {
    begin: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

/// Code Climate's category for a rule family.
fn category(rule: &str) -> &'static str {
    match rules::find(rule).map(|m| m.category) {
        Some(Category::Security) => "Security",
        Some(Category::Resources) => "Performance",
        Some(Category::Correctness | Category::Reliability) | None => "Bug Risk",
    }
}

pub fn emit(report: &Report, options: RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    let fingerprints = super::fingerprints(report, options.src_root);
    let issues: Vec<Issue<'_>> = report
        .diagnostics()
        .zip(fingerprints)
        .map(|((file, d), fingerprint)| {
            let (begin, end) = file.source.span_positions(d.span);
            Issue {
                kind: "issue",
                check_name: &d.rule,
                description: &d.message,
                categories: [category(&d.rule)],
                fingerprint,
                severity: severity(d.severity),
                location: Location {
                    path: relative_name(&file.source.name, options.src_root).into_owned(),
                    positions: Positions {
                        begin: Position {
                            line: begin.line,
                            column: begin.column,
                        },
                        end: Position {
                            line: end.line,
                            column: end.column,
                        },
                    },
                },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::other)?;
    writeln!(out)
}
