//! `daemonlint inventory`: each DaemonSet's node-level access.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{plain_resolver, InventoryArgs, InventoryFormat};
use crate::session::Linter;

pub(super) fn inventory(
    args: &InventoryArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<i32> {
    let Some(resolver) = plain_resolver(&args.settings, stderr)? else {
        return Ok(2);
    };
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let (report, indexes) = Linter::new(&resolver).inventory(true).indexed(&paths);
    let inventory = crate::inventory::build(&report, &indexes);
    match args.format {
        InventoryFormat::Text => crate::inventory::render_text(&inventory, stdout)?,
        InventoryFormat::Json => crate::inventory::render_json(&inventory, stdout)?,
        InventoryFormat::Csv => crate::inventory::render_csv(&inventory, stdout)?,
        InventoryFormat::Markdown => crate::inventory::render_markdown(&inventory, stdout)?,
    }
    if args.format != InventoryFormat::Json {
        for e in &inventory.errors {
            writeln!(stderr, "{e}")?;
        }
    }
    stdout.flush()?;
    Ok(if report.files.iter().any(|f| f.io_error) {
        2
    } else {
        0
    })
}
