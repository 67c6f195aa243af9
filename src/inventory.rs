//! `daemonlint inventory`: per DaemonSet, the node-level access it holds, built from the index
//! the linting phase collects (no second parse). Renderers write to the writer they are given.

use std::io::{self, Write};

use serde::Serialize;

use crate::cross::{DaemonSetEntry, FileIndex};
use crate::k8s::pss::Level;

/// One line of a DaemonSet's table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `privileged`, `host namespace`, `host port`, `hostPath`, `capability`,
    /// `service account`, `binding`, `pss level`.
    pub access: &'static str,
    pub detail: String,
    pub notes: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostPathItem {
    pub volume: String,
    pub path: String,
    pub read_only: bool,
    pub sensitive: bool,
    /// The sensitive location it exposes.
    pub exposes: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BindingItem {
    pub kind: String,
    pub name: String,
    pub role_kind: String,
    pub role: String,
    pub file: String,
}

/// The inventory of one DaemonSet.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub name: String,
    pub namespace: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub pss_level: Level,
    /// Controls of the next level up that fail (empty at `restricted`).
    pub pss_blockers: Vec<String>,
    pub privileged_containers: Vec<String>,
    pub host_namespaces: Vec<String>,
    pub host_ports: Vec<String>,
    pub host_paths: Vec<HostPathItem>,
    pub capabilities: Vec<(String, String)>,
    pub service_account: String,
    pub bindings: Vec<BindingItem>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Serialize)]
pub struct Inventory {
    pub version: u32,
    pub daemonsets: Vec<Entry>,
    /// Files that could not be read or parsed (`file:line:column: message`).
    pub errors: Vec<String>,
}

impl Inventory {
    /// Total rows over every DaemonSet.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.daemonsets.iter().map(|d| d.rows.len()).sum()
    }
}

fn entry(
    ds: &DaemonSetEntry,
    source: &crate::source::SourceFile,
    indexes: &[(&str, &FileIndex)],
) -> Entry {
    let pos = source.line_col(ds.anchor.start);
    let namespace = ds.effective_namespace().to_string();
    let sa = ds.service_account_name().to_string();
    let mut rows = Vec::new();
    for c in &ds.inventory().privileged {
        rows.push(Row {
            access: "privileged",
            detail: format!("container {c}"),
            notes: "every capability and every host device".into(),
        });
    }
    for n in &ds.inventory().host_namespaces {
        rows.push(Row {
            access: "host namespace",
            detail: n.clone(),
            notes: String::new(),
        });
    }
    for p in &ds.inventory().host_ports {
        rows.push(Row {
            access: "host port",
            detail: p.clone(),
            notes: String::new(),
        });
    }
    let mut host_paths = Vec::new();
    for hp in &ds.inventory().host_paths {
        let read_only = !hp.writable();
        let mounted = if hp.mounts.is_empty() {
            "not mounted".to_string()
        } else if read_only {
            "read-only".to_string()
        } else {
            "writable".to_string()
        };
        let notes = match &hp.sensitive {
            Some(e) => format!("{mounted}, sensitive ({e})"),
            None => mounted,
        };
        rows.push(Row {
            access: "hostPath",
            detail: format!("{} (volume {})", hp.path, hp.volume),
            notes,
        });
        host_paths.push(HostPathItem {
            volume: hp.volume.clone(),
            path: hp.path.clone(),
            read_only,
            sensitive: hp.sensitive.is_some(),
            exposes: hp.sensitive.clone(),
        });
    }
    for (c, cap) in &ds.inventory().capabilities {
        rows.push(Row {
            access: "capability",
            detail: cap.clone(),
            notes: format!("container {c}"),
        });
    }
    let mut bindings = Vec::new();
    for (file, ix) in indexes {
        for b in &ix.bindings {
            let binds = b.service_accounts.iter().any(|(n, subject_ns)| {
                *n == sa
                    && subject_ns
                        .as_deref()
                        .or(b.namespace.as_deref())
                        .unwrap_or("default")
                        == namespace
            });
            if binds {
                bindings.push(BindingItem {
                    kind: b.kind.clone(),
                    name: b.name.clone(),
                    role_kind: b.role_kind.clone(),
                    role: b.role_name.clone(),
                    file: (*file).to_string(),
                });
            }
        }
    }
    rows.push(Row {
        access: "service account",
        detail: format!("{namespace}/{sa}"),
        notes: if bindings.is_empty() {
            "no binding in these files".into()
        } else {
            format!("{} binding(s)", bindings.len())
        },
    });
    for b in &bindings {
        rows.push(Row {
            access: "binding",
            detail: format!("{} {}", b.kind, b.name),
            notes: format!("{} {}", b.role_kind, b.role),
        });
    }
    let next = match ds.level {
        Level::Privileged => Some(Level::Baseline),
        Level::Baseline => Some(Level::Restricted),
        Level::Restricted => None,
    };
    let mut blockers: Vec<String> = Vec::new();
    if let Some(next) = next {
        for f in ds.pss.iter().filter(|f| f.control.level == next) {
            if !blockers.iter().any(|b| b == f.control.name) {
                blockers.push(f.control.name.to_string());
            }
        }
    }
    rows.push(Row {
        access: "pss level",
        detail: ds.level.to_string(),
        notes: match next {
            Some(next) => format!("fails {next}: {}", blockers.join(", ")),
            None => String::new(),
        },
    });
    Entry {
        name: ds.name().to_string(),
        namespace,
        file: source.name.clone(),
        line: pos.line,
        column: pos.column,
        pss_level: ds.level,
        pss_blockers: blockers,
        privileged_containers: ds.inventory().privileged.clone(),
        host_namespaces: ds.inventory().host_namespaces.clone(),
        host_ports: ds.inventory().host_ports.clone(),
        host_paths,
        capabilities: ds.inventory().capabilities.clone(),
        service_account: sa,
        bindings,
        rows,
    }
}

/// Build the inventory of a linted run (`indexes` in `report.files` order).
#[must_use]
pub fn build(report: &crate::outcome::Report, indexes: &[FileIndex]) -> Inventory {
    let named: Vec<(&str, &FileIndex)> = report
        .files
        .iter()
        .zip(indexes)
        .map(|(f, i)| (f.source.name.as_str(), i))
        .collect();
    let mut daemonsets = Vec::new();
    for (file, index) in report.files.iter().zip(indexes) {
        for ds in &index.daemonsets {
            daemonsets.push(entry(ds, &file.source, &named));
        }
    }
    let mut errors = Vec::new();
    for (file, d) in report.active() {
        if matches!(
            d.rule.as_ref(),
            "io-error" | "yaml-syntax" | "invalid-daemonset"
        ) {
            let pos = file.source.line_col(d.span.start);
            errors.push(format!(
                "{}:{}:{}: {}",
                file.source.name, pos.line, pos.column, d.message
            ));
        }
    }
    Inventory {
        version: 1,
        daemonsets,
        errors,
    }
}

fn title(e: &Entry) -> String {
    format!(
        "DaemonSet {}/{} ({}:{}:{})  PSS level: {}",
        e.namespace, e.name, e.file, e.line, e.column, e.pss_level
    )
}

pub fn render_text(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    for (i, e) in inv.daemonsets.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}", title(e))?;
        let w0 = e
            .rows
            .iter()
            .map(|r| r.access.len())
            .max()
            .unwrap_or(0)
            .max(6);
        let w1 = e
            .rows
            .iter()
            .map(|r| r.detail.len())
            .max()
            .unwrap_or(0)
            .max(6);
        writeln!(out, "  {:w0$}  {:w1$}  NOTES", "ACCESS", "DETAIL")?;
        for r in &e.rows {
            let line = format!("  {:w0$}  {:w1$}  {}", r.access, r.detail, r.notes);
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    let levels = [Level::Privileged, Level::Baseline, Level::Restricted].map(|l| {
        let n = inv.daemonsets.iter().filter(|d| d.pss_level == l).count();
        format!("{n} {l}")
    });
    writeln!(
        out,
        "\n{} DaemonSet{}, {} rows; PSS levels: {}.",
        inv.daemonsets.len(),
        if inv.daemonsets.len() == 1 { "" } else { "s" },
        inv.rows(),
        levels.join(", ")
    )
}

pub fn render_json(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, inv).map_err(io::Error::other)?;
    writeln!(out)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn render_csv(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "file,line,namespace,daemonset,pss_level,access,detail,notes"
    )?;
    for e in &inv.daemonsets {
        for r in &e.rows {
            let fields = [
                e.file.clone(),
                e.line.to_string(),
                e.namespace.clone(),
                e.name.clone(),
                e.pss_level.to_string(),
                r.access.to_string(),
                r.detail.clone(),
                r.notes.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            writeln!(out, "{}", line.join(","))?;
        }
    }
    Ok(())
}

fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn render_markdown(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    for e in &inv.daemonsets {
        writeln!(
            out,
            "### DaemonSet `{}/{}`\n\n`{}:{}:{}` · PSS level: **{}**\n\n| access | detail | notes |\n|---|---|---|",
            e.namespace, e.name, e.file, e.line, e.column, e.pss_level
        )?;
        for r in &e.rows {
            writeln!(
                out,
                "| {} | {} | {} |",
                r.access,
                md(&r.detail),
                md(&r.notes)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
