//! Checkstyle XML, as reviewdog (`-f=checkstyle`) and Jenkins' warnings plugin read it: one
//! `<file>` per linted file, one `<error>` per finding, `source` = `daemonlint.<rule>`.

use std::io::{self, Write};

use super::xml;
use crate::outcome::Report;

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut text =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for file in &report.files {
        let name = xml::attr(&file.source.name);
        if report.visible(file).next().is_none() {
            text.push_str(&format!("  <file name=\"{name}\"/>\n"));
            continue;
        }
        text.push_str(&format!("  <file name=\"{name}\">\n"));
        for d in report.visible(file) {
            let pos = file.source.line_col(d.span.start);
            text.push_str(&format!(
                "    <error line=\"{}\" column=\"{}\" severity=\"{}\" message=\"{}\" source=\"daemonlint.{}\"/>\n",
                pos.line,
                pos.column,
                d.severity,
                xml::attr(&d.message),
                xml::attr(&d.rule)
            ));
        }
        text.push_str("  </file>\n");
    }
    text.push_str("</checkstyle>\n");
    out.write_all(text.as_bytes())
}
