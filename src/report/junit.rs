//! JUnit XML, as GitLab (`artifacts:reports:junit`) and Jenkins read it.
//!
//! One `<testsuite>` per file that holds a DaemonSet or a finding; in it, one `<testcase>` per
//! DaemonSet and rule category (correctness, reliability, security, resources), passing or
//! failing. A failure lists its findings as `file:line:col: severity[rule] message`. Findings
//! that belong to no DaemonSet (a YAML syntax error, an unreadable file) fail a test case named
//! after the file.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::xml;
use crate::diagnostic::{Diagnostic, Severity};
use crate::outcome::{FileReport, LintedObject, Report};
use crate::rules::{self, Category};

struct Case<'a> {
    object: Option<&'a LintedObject>,
    category: Category,
    findings: Vec<&'a Diagnostic>,
}

fn category_of(d: &Diagnostic) -> Category {
    rules::find(&d.rule).map_or(Category::Correctness, |m| m.category)
}

fn cases<'a>(report: &Report, file: &'a FileReport) -> Vec<Case<'a>> {
    let mut cases: Vec<Case<'_>> = file
        .daemonsets
        .iter()
        .flat_map(|o| {
            Category::ALL.into_iter().map(move |category| Case {
                object: Some(o),
                category,
                findings: Vec::new(),
            })
        })
        .collect();
    for d in report.visible(file) {
        let category = category_of(d);
        let owner = file
            .daemonsets
            .iter()
            .find(|o| Some(&o.object) == d.object.as_deref() && o.document == d.document);
        let at = cases.iter().position(|c| {
            c.category == category
                && c.object.map(|o| (o.document, &o.object))
                    == owner.map(|o| (o.document, &o.object))
        });
        match at {
            Some(i) => cases[i].findings.push(d),
            None => cases.push(Case {
                object: None,
                category,
                findings: vec![d],
            }),
        }
    }
    cases
}

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suites = String::new();
    let (mut total, mut failed) = (0, 0);
    for file in &report.files {
        let cases = cases(report, file);
        if cases.is_empty() {
            continue;
        }
        let failures = cases.iter().filter(|c| !c.findings.is_empty()).count();
        total += cases.len();
        failed += failures;
        let name = xml::attr(&file.source.name);
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            cases.len()
        );
        for case in &cases {
            let case_name = match case.object {
                Some(o) => format!("{}: {}", file.source.name, super::qualified_name(&o.object)),
                None => file.source.name.clone(),
            };
            let _ = write!(
                suites,
                "    <testcase name=\"{}\" classname=\"daemonlint.{}\" file=\"{name}\"",
                xml::attr(&case_name),
                case.category.as_str()
            );
            let Some(first) = case.findings.first() else {
                suites.push_str("/>\n");
                continue;
            };
            let worst = case
                .findings
                .iter()
                .map(|d| d.severity)
                .max()
                .unwrap_or(Severity::Info);
            let summary = if case.findings.len() == 1 {
                first.message.clone()
            } else {
                format!("{} findings; first: {}", case.findings.len(), first.message)
            };
            let _ = write!(
                suites,
                ">\n      <failure message=\"{}\" type=\"{worst}\">",
                xml::attr(&summary)
            );
            for d in &case.findings {
                let pos = file.source.line_col(d.span.start);
                let line = format!(
                    "{}:{}:{}: {}[{}] {}\n",
                    file.source.name, pos.line, pos.column, d.severity, d.rule, d.message
                );
                suites.push_str(&xml::text(&line));
            }
            suites.push_str("</failure>\n    </testcase>\n");
        }
        suites.push_str("  </testsuite>\n");
    }
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"daemonlint\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\">\n\
         {suites}</testsuites>\n"
    );
    out.write_all(text.as_bytes())
}
