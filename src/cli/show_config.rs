//! `daemonlint config`: the resolved settings for a path.

use std::io::{self, Write};

use super::{plain_resolver, ConfigArgs};
use crate::rules;

pub(super) fn show_config(
    args: &ConfigArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
    let Some(resolver) = plain_resolver(&args.settings, stderr)? else {
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
