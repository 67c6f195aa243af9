//! `daemonlint rules` and `daemonlint rule ID`.

use std::io::{self, Write};

use super::{ListFormat, RulesArgs};
use crate::config;
use crate::rules;

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

pub(super) fn list_rules(args: &RulesArgs, stdout: &mut dyn Write) -> io::Result<i32> {
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

pub(super) fn show_rule(
    id: &str,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
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
