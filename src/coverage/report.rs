//! `daemonlint coverage`: every DaemonSet of the given files placed on every node, with its
//! cost and its rolling-update blast radius; rendered as an aligned text table or as JSON.

use std::io::{self, Write};
use std::path::PathBuf;

use super::pod::{HostPort, Limit, PodView};
use super::{place, scaled, Cluster, Outcome, Placement};
use crate::k8s::quantity::Quantity;
use crate::manifest::{self, DaemonSet};
use crate::rules::rolling_update::{parse_amount, Amount, StrategyType};
use crate::session::Read;
use crate::source::{SourceFile, Span};

/// The coverage of one DaemonSet.
#[derive(Debug)]
pub struct DaemonSetCoverage {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// One per node of the cluster, in the cluster's order.
    pub placements: Vec<Placement>,
    pub requests: Vec<(String, Quantity)>,
    pub limits: Vec<(String, Limit)>,
    /// Resources whose request or limit comes from pod-level `spec.resources`.
    pub pod_level: Vec<String>,
    pub host_ports: Vec<HostPort>,
    pub rollout: Rollout,
    pub cost: Vec<CostRow>,
    /// Invalid values in the template (`file:line:column: message`).
    pub problems: Vec<String>,
}

impl DaemonSetCoverage {
    /// `namespace/name`, `name`, or the file position.
    #[must_use]
    pub fn label(&self) -> String {
        match (&self.namespace, &self.name) {
            (Some(ns), Some(n)) => format!("{ns}/{n}"),
            (None, Some(n)) => n.clone(),
            _ => format!("at {}:{}:{}", self.file, self.line, self.column),
        }
    }

    #[must_use]
    pub fn runs_on(&self) -> usize {
        self.placements
            .iter()
            .filter(|p| p.outcome == Outcome::Runs)
            .count()
    }

    /// Nodes the controller wants a pod on (`desiredNumberScheduled`).
    #[must_use]
    pub fn desired(&self) -> usize {
        self.placements.iter().filter(|p| p.desired()).count()
    }
}

/// The update strategy and what a rollout takes down at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    pub strategy: String,
    /// As written (`25%`, `3`), or `None` when left to the default.
    pub max_unavailable: Option<String>,
    pub max_surge: Option<String>,
    /// Nodes without the agent at once (`None` when not a rolling update or invalid).
    pub unavailable_nodes: Option<i64>,
    /// Nodes running an old and a new pod at once.
    pub surge_nodes: i64,
    /// The sentence for humans.
    pub text: String,
}

/// One resource of the cost summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRow {
    pub resource: String,
    pub request: Option<Quantity>,
    pub limit: Option<Limit>,
    /// Nodes the pod runs on.
    pub nodes: usize,
    pub total_request: Option<Quantity>,
    pub total_limit: Option<Limit>,
    /// Allocatable summed over the nodes it runs on whose allocatable is known.
    pub allocatable: Quantity,
    pub allocatable_nodes: usize,
    /// Requests over allocatable, in tenths of a percent, on the nodes with known allocatable.
    pub share_per_mille: Option<i128>,
}

/// The whole run.
#[derive(Debug)]
pub struct CoverageReport<'c> {
    pub cluster: &'c Cluster,
    pub daemonsets: Vec<DaemonSetCoverage>,
    /// Files that could not be read or parsed and DaemonSets that could not be analysed.
    pub errors: Vec<String>,
}

impl CoverageReport<'_> {
    /// 2 when an input could not be read or held invalid values, else 0.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        if self.errors.is_empty() && self.daemonsets.iter().all(|d| d.problems.is_empty()) {
            0
        } else {
            2
        }
    }
}

fn position(source: &SourceFile, span: Span) -> (u32, u32) {
    let pos = source.line_col(span.start);
    (pos.line, pos.column)
}

/// Place every DaemonSet the files under `paths` hold on the nodes of `cluster`; the files
/// are those `linter` would lint, as its configuration finds them.
#[must_use]
pub fn analyze<'c>(
    linter: &crate::session::Linter<'_>,
    paths: &[PathBuf],
    cluster: &'c Cluster,
) -> CoverageReport<'c> {
    let mut report = CoverageReport {
        cluster,
        daemonsets: Vec::new(),
        errors: Vec::new(),
    };
    linter.read_each(paths, &mut |read| match read {
        Read::Text(source, settings) => {
            analyze_source(&source, settings.limits, cluster, &mut report);
        }
        Read::Undecoded(e) => report.errors.push(e.to_string()),
        Read::Unread { name, message } => report.errors.push(format!("{name}: error: {message}")),
    });
    apply_host_ports(&mut report.daemonsets);
    for ds in &mut report.daemonsets {
        ds.cost = cost(ds, cluster);
    }
    report
}

fn analyze_source(
    source: &SourceFile,
    limits: crate::yaml::Limits,
    cluster: &Cluster,
    report: &mut CoverageReport<'_>,
) {
    for doc in crate::yaml::documents(&source.text, limits) {
        let doc = match doc {
            Ok(doc) => doc,
            Err(e) => {
                let (line, column) = position(source, e.span);
                report.errors.push(format!(
                    "{}:{line}:{column}: error: invalid YAML: {}",
                    source.name, e.message
                ));
                continue;
            }
        };
        for object in manifest::objects(&doc) {
            if object.kind != "DaemonSet" {
                continue;
            }
            match DaemonSet::from_object(object) {
                Ok(ds) => report.daemonsets.push(coverage_of(&ds, source, cluster)),
                Err(shape) => {
                    let (line, column) = position(source, shape.span);
                    report.errors.push(format!(
                        "{}:{line}:{column}: error: this DaemonSet cannot be analysed: {}",
                        source.name, shape.message
                    ));
                }
            }
        }
    }
}

fn coverage_of(ds: &DaemonSet<'_>, source: &SourceFile, cluster: &Cluster) -> DaemonSetCoverage {
    let pod = PodView::of(ds);
    let placements: Vec<Placement> = cluster.nodes.iter().map(|n| place(&pod, n)).collect();
    let anchor = ds
        .object
        .metadata()
        .and_then(|m| m.get("name"))
        .map_or_else(|| ds.object.anchor_span(), |n| n.span());
    let (line, column) = position(source, anchor);
    let problems = pod
        .problems
        .iter()
        .map(|p| {
            let (l, c) = position(source, p.span);
            format!("{}:{l}:{c}: {}", source.name, p.message)
        })
        .collect();
    let desired = placements.iter().filter(|p| p.desired()).count();
    let runs = placements
        .iter()
        .filter(|p| p.outcome == Outcome::Runs)
        .count();
    DaemonSetCoverage {
        name: ds.object.name().map(str::to_string),
        namespace: ds.object.namespace().map(str::to_string),
        file: source.name.clone(),
        line,
        column,
        rollout: rollout(ds, desired, runs),
        placements,
        requests: pod.requests.clone(),
        limits: pod.limits.clone(),
        pod_level: pod.pod_level.clone(),
        host_ports: pod.host_ports.clone(),
        cost: Vec::new(),
        problems,
    }
}

/// Host ports are first come, first served on each node: a DaemonSet whose port another
/// DaemonSet of the run already holds there stays Pending (the scheduler's NodePorts filter).
/// Which pod comes first in a real cluster depends on timing; here it is input order.
fn apply_host_ports(daemonsets: &mut [DaemonSetCoverage]) {
    let nodes = daemonsets.first().map_or(0, |d| d.placements.len());
    for node in 0..nodes {
        let mut taken: Vec<(HostPort, String)> = Vec::new();
        for ds in daemonsets.iter_mut() {
            let Some(p) = ds.placements.get(node) else {
                continue;
            };
            if p.outcome != Outcome::Runs || ds.host_ports.is_empty() {
                continue;
            }
            let clash = ds.host_ports.iter().find_map(|mine| {
                taken
                    .iter()
                    .find(|(theirs, _)| mine.conflicts(theirs))
                    .map(|(_, owner)| (mine.clone(), owner.clone()))
            });
            match clash {
                Some((port, owner)) => {
                    let notes = std::mem::take(&mut ds.placements[node].notes);
                    ds.placements[node] = Placement::pending(
                        format!("hostPort {port} already taken by DaemonSet {owner}"),
                        notes,
                    );
                }
                None => {
                    let label = ds.label();
                    taken.extend(ds.host_ports.iter().map(|hp| (hp.clone(), label.clone())));
                }
            }
        }
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn amount_text(node: Option<crate::yaml::Node<'_>>) -> Option<(String, Option<Amount>)> {
    let node = node?;
    let text = node.scalar_text().unwrap_or("?").to_string();
    Some((text, node.resolve().as_ref().and_then(parse_amount)))
}

/// The rollout sentence: `maxUnavailable` resolved against the nodes the controller targets.
pub(super) fn rollout(ds: &DaemonSet<'_>, desired: usize, runs: usize) -> Rollout {
    let strategy = crate::rules::rolling_update::strategy(ds);
    let kind = match strategy.kind {
        StrategyType::RollingUpdate => "RollingUpdate",
        StrategyType::OnDelete => "OnDelete",
        StrategyType::Unknown => strategy
            .type_node
            .and_then(|t| t.scalar_text())
            .unwrap_or("?"),
    };
    let unavailable = amount_text(strategy.rolling_field("maxUnavailable"));
    let surge = amount_text(strategy.rolling_field("maxSurge"));
    let mut out = Rollout {
        strategy: kind.to_string(),
        max_unavailable: unavailable.as_ref().map(|(t, _)| t.clone()),
        max_surge: surge.as_ref().map(|(t, _)| t.clone()),
        unavailable_nodes: None,
        surge_nodes: 0,
        text: String::new(),
    };
    if strategy.kind != StrategyType::RollingUpdate {
        out.text = if strategy.kind == StrategyType::OnDelete {
            "update strategy OnDelete: pods are replaced only when someone deletes them".into()
        } else {
            format!("update strategy `{kind}` is not RollingUpdate or OnDelete")
        };
        return out;
    }
    let invalid = |(text, amount): &(String, Option<Amount>), field: &str| {
        amount
            .is_none()
            .then(|| format!("{field} `{text}` is invalid: the controller cannot update the pods"))
    };
    if let Some(text) = unavailable
        .as_ref()
        .and_then(|u| invalid(u, "maxUnavailable"))
        .or_else(|| surge.as_ref().and_then(|s| invalid(s, "maxSurge")))
    {
        out.text = text;
        return out;
    }
    let total = i64::try_from(desired).unwrap_or(i64::MAX);
    // apps/v1 defaults maxUnavailable to 1 and maxSurge to 0.
    let mu = unavailable
        .as_ref()
        .and_then(|(_, a)| *a)
        .unwrap_or(Amount::Count(1));
    let ms = surge
        .as_ref()
        .and_then(|(_, a)| *a)
        .unwrap_or(Amount::Count(0));
    let mut u = scaled(&mu, desired).max(0);
    let s = scaled(&ms, desired).max(0);
    if desired == 0 {
        out.unavailable_nodes = Some(0);
        out.text = "rolling update: the DaemonSet targets no node".into();
        return out;
    }
    let fallback = u == 0 && s == 0;
    if fallback {
        // "if the daemonset returned with an impossible configuration, obey the default of
        // unavailable=1" (updatedDesiredNodeCounts in pkg/controller/daemon/update.go).
        u = 1;
    }
    out.unavailable_nodes = Some(u.min(total));
    out.surge_nodes = s.min(total);
    let nodes = |n: i64| plural(n, "node", "nodes");
    let down = if u >= total && total == 1 {
        "its only node without the agent".to_string()
    } else if u >= total {
        format!("all {} without the agent at once", nodes(total))
    } else {
        format!("{} without the agent at once", nodes(u))
    };
    let pending = desired.saturating_sub(runs);
    let of = |total: i64| {
        let pending = match pending {
            0 => String::new(),
            1 => " (1 with its pod Pending)".to_string(),
            n => format!(" ({n} with their pods Pending)"),
        };
        format!("{}{pending}", nodes(total))
    };
    let head = match (&unavailable, mu) {
        (_, _) if fallback => {
            "maxUnavailable 0 and maxSurge 0: the controller falls back to 1".to_string()
        }
        (None, _) => format!("maxUnavailable 1 (the default) of {}", of(total)),
        (Some(_), Amount::Percent(p)) => {
            let exact = (i64::from(p) * total) % 100 == 0;
            let rounded = if exact { "" } else { ", rounded up" };
            format!("maxUnavailable {p}% of {}{rounded}", of(total))
        }
        (Some(_), Amount::Count(n)) => format!("maxUnavailable {n} of {}", of(total)),
    };
    out.text = if u == 0 {
        let surge_text = surge.as_ref().map_or("0", |(t, _)| t.as_str());
        format!(
            "rolling update: maxUnavailable 0 with maxSurge {surge_text}: {} at a time run an \
             old and a new pod, no node is left without the agent",
            nodes(out.surge_nodes)
        )
    } else {
        format!("rolling update: {head} = {down}")
    };
    out
}

fn cost(ds: &DaemonSetCoverage, cluster: &Cluster) -> Vec<CostRow> {
    let running: Vec<&super::ClusterNode> = cluster
        .nodes
        .iter()
        .zip(&ds.placements)
        .filter(|(_, p)| p.outcome == Outcome::Runs)
        .map(|(n, _)| n)
        .collect();
    let mut resources: Vec<&str> = ds
        .requests
        .iter()
        .map(|(r, _)| r.as_str())
        .chain(ds.limits.iter().map(|(r, _)| r.as_str()))
        .collect();
    let rank = |r: &str| match r {
        "cpu" => 0,
        "memory" => 1,
        "ephemeral-storage" => 2,
        _ => 3,
    };
    resources.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    resources.dedup();
    resources
        .into_iter()
        .map(|resource| {
            let request = ds
                .requests
                .iter()
                .find(|(r, _)| r == resource)
                .map(|(_, q)| *q);
            let limit = ds
                .limits
                .iter()
                .find(|(r, _)| r == resource)
                .map(|(_, l)| l.clone());
            let mut allocatable = Quantity::ZERO;
            let mut allocatable_nodes = 0;
            for node in &running {
                if let Some(q) = node.allocatable.as_ref().and_then(|a| a.get(resource)) {
                    allocatable = allocatable.plus(*q);
                    allocatable_nodes += 1;
                }
            }
            let share_per_mille =
                request.and_then(|q| q.times(allocatable_nodes).per_mille_of(allocatable));
            CostRow {
                resource: resource.to_string(),
                request,
                total_request: request.map(|q| q.times(running.len())),
                total_limit: limit.clone().map(|l| match l {
                    Limit::Value(q) => Limit::Value(q.times(running.len())),
                    unbounded => unbounded,
                }),
                limit,
                nodes: running.len(),
                allocatable,
                allocatable_nodes,
                share_per_mille,
            }
        })
        .collect()
}

fn percent(per_mille: i128) -> String {
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

fn limit_text(resource: &str, limit: Option<&Limit>) -> String {
    match limit {
        Some(Limit::Value(q)) => q.display(resource),
        Some(Limit::Unbounded(_)) => "unbounded".into(),
        None => "none".into(),
    }
}

/// Columns padded to their widest cell, two spaces apart, no trailing spaces.
fn table(out: &mut dyn Write, indent: &str, rows: &[Vec<String>]) -> io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from(indent);
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The human rendering: per DaemonSet a node table, the cost summary and the rollout. File
/// errors (`report.errors`) are left to the caller (the command line prints them on stderr).
pub fn render_text(report: &CoverageReport<'_>, out: &mut dyn Write) -> io::Result<()> {
    let nodes = report.cluster.nodes.len();
    writeln!(
        out,
        "Nodes: {} ({})",
        report.cluster.source,
        plural(i64::try_from(nodes).unwrap_or(i64::MAX), "node", "nodes")
    )?;
    for ds in &report.daemonsets {
        writeln!(out)?;
        writeln!(
            out,
            "DaemonSet {} ({}:{}:{})",
            ds.label(),
            ds.file,
            ds.line,
            ds.column
        )?;
        for p in &ds.problems {
            writeln!(out, "  error: {p}")?;
        }
        let mut rows = vec![vec!["NODE".to_string(), "RUNS".into(), "REASON".into()]];
        let cells: Vec<(&str, &str, String)> = report
            .cluster
            .nodes
            .iter()
            .zip(&ds.placements)
            .map(|(node, p)| {
                let (runs, text) = match p.outcome {
                    Outcome::Runs => ("yes", p.notes.join("; ")),
                    Outcome::Skipped => ("no", p.reason.clone().unwrap_or_default()),
                    Outcome::Pending => (
                        "no",
                        format!(
                            "{} (the pod stays Pending)",
                            p.reason.as_deref().unwrap_or("")
                        ),
                    ),
                };
                (node.name.as_str(), runs, text)
            })
            .collect();
        // Three or more consecutive nodes with the same verdict share one row.
        let mut i = 0;
        while i < cells.len() {
            let mut j = i + 1;
            while j < cells.len() && cells[j].1 == cells[i].1 && cells[j].2 == cells[i].2 {
                j += 1;
            }
            let (name, runs, text) = &cells[i];
            if j - i >= 3 {
                rows.push(vec![
                    format!("{name}..{} ({} nodes)", cells[j - 1].0, j - i),
                    (*runs).to_string(),
                    text.clone(),
                ]);
            } else {
                for (name, runs, text) in &cells[i..j] {
                    rows.push(vec![(*name).to_string(), (*runs).to_string(), text.clone()]);
                }
            }
            i = j;
        }
        table(out, "  ", &rows)?;
        let runs = ds.runs_on();
        writeln!(
            out,
            "  Runs on {runs} of {}.",
            plural(i64::try_from(nodes).unwrap_or(0), "node", "nodes")
        )?;
        if runs == 0 {
            writeln!(out, "  Cost: none, it runs on no node.")?;
        } else if ds.cost.is_empty() {
            writeln!(
                out,
                "  Cost: the pod requests nothing, so the scheduler reserves nothing for it."
            )?;
        } else {
            writeln!(
                out,
                "  Cost on the {}:",
                plural(
                    i64::try_from(runs).unwrap_or(0),
                    "node it runs on",
                    "nodes it runs on"
                )
            )?;
            let mut rows = vec![vec![
                "RESOURCE".to_string(),
                "REQUEST".into(),
                "LIMIT".into(),
                "TOTAL REQUESTS".into(),
                "TOTAL LIMITS".into(),
                "SHARE OF ALLOCATABLE".into(),
            ]];
            for row in &ds.cost {
                let r = row.resource.as_str();
                let share = match row.share_per_mille {
                    None if row.allocatable_nodes == 0 && row.nodes > 0 => {
                        "allocatable unknown".to_string()
                    }
                    None => "-".to_string(),
                    Some(pm) => {
                        let known = if row.allocatable_nodes < row.nodes {
                            format!(" ({} of {} nodes known)", row.allocatable_nodes, row.nodes)
                        } else {
                            String::new()
                        };
                        format!("{} of {}{known}", percent(pm), row.allocatable.display(r))
                    }
                };
                rows.push(vec![
                    r.to_string(),
                    row.request.map_or_else(|| "0".into(), |q| q.display(r)),
                    limit_text(r, row.limit.as_ref()),
                    row.total_request
                        .map_or_else(|| "0".into(), |q| q.display(r)),
                    limit_text(r, row.total_limit.as_ref()),
                    share,
                ]);
            }
            table(out, "    ", &rows)?;
            for (resource, limit) in &ds.limits {
                if let Limit::Unbounded(container) = limit {
                    writeln!(
                        out,
                        "  {container} has no {resource} limit, so the pod's {resource} is unbounded."
                    )?;
                }
            }
            if !ds.pod_level.is_empty() {
                writeln!(
                    out,
                    "  Pod-level spec.resources sets {} (Kubernetes 1.32+ with PodLevelResources).",
                    ds.pod_level.join(" and ")
                )?;
            }
        }
        let mut text = ds.rollout.text.clone();
        if let Some(first) = text.get(..1) {
            text = format!("{}{}", first.to_uppercase(), &text[1..]);
        }
        writeln!(out, "  {text}.")?;
    }
    Ok(())
}

fn quantity_json(resource: &str, q: Option<Quantity>) -> serde_json::Value {
    q.map_or(serde_json::Value::Null, |q| q.display(resource).into())
}

fn limit_json(resource: &str, l: Option<&Limit>) -> serde_json::Value {
    match l {
        Some(Limit::Value(q)) => q.display(resource).into(),
        Some(Limit::Unbounded(_)) => "unbounded".into(),
        None => serde_json::Value::Null,
    }
}

/// The JSON rendering (stable contract, version 1; see `docs/src/guide/coverage.md`).
pub fn render_json(report: &CoverageReport<'_>, out: &mut dyn Write) -> io::Result<()> {
    use serde_json::{json, Value};
    let daemonsets: Vec<Value> = report
        .daemonsets
        .iter()
        .map(|ds| {
            let nodes: Vec<Value> = report
                .cluster
                .nodes
                .iter()
                .zip(&ds.placements)
                .map(|(n, p)| {
                    json!({
                        "name": n.name,
                        "runs": p.outcome == Outcome::Runs,
                        "outcome": p.outcome,
                        "reason": p.reason,
                        "keeps_running": (p.outcome == Outcome::Skipped).then_some(p.keeps_running),
                        "notes": p.notes,
                    })
                })
                .collect();
            let requests: serde_json::Map<String, Value> = ds
                .requests
                .iter()
                .map(|(r, q)| (r.clone(), q.display(r).into()))
                .collect();
            let limits: serde_json::Map<String, Value> = ds
                .limits
                .iter()
                .map(|(r, l)| (r.clone(), limit_json(r, Some(l))))
                .collect();
            let cost: Vec<Value> = ds
                .cost
                .iter()
                .map(|c| {
                    let r = c.resource.as_str();
                    json!({
                        "resource": r,
                        "request": quantity_json(r, c.request),
                        "limit": limit_json(r, c.limit.as_ref()),
                        "nodes": c.nodes,
                        "total_request": quantity_json(r, c.total_request),
                        "total_limit": limit_json(r, c.total_limit.as_ref()),
                        "allocatable": (c.allocatable_nodes > 0).then(|| c.allocatable.display(r)),
                        "allocatable_nodes": c.allocatable_nodes,
                        "share_percent": c.share_per_mille.map(|pm| {
                            // Tenths of a percent, exactly representable as a decimal number.
                            serde_json::Number::from_f64(f64::from(i32::try_from(pm).unwrap_or(i32::MAX)) / 10.0)
                        }),
                    })
                })
                .collect();
            json!({
                "name": ds.name,
                "namespace": ds.namespace,
                "file": ds.file,
                "line": ds.line,
                "column": ds.column,
                "runs_on": ds.runs_on(),
                "desired": ds.desired(),
                "nodes": nodes,
                "requests": requests,
                "limits": limits,
                "host_ports": ds.host_ports.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "cost": cost,
                "rollout": {
                    "strategy": ds.rollout.strategy,
                    "max_unavailable": ds.rollout.max_unavailable,
                    "max_surge": ds.rollout.max_surge,
                    "unavailable_nodes": ds.rollout.unavailable_nodes,
                    "surge_nodes": ds.rollout.surge_nodes,
                    "text": ds.rollout.text,
                },
                "problems": ds.problems,
            })
        })
        .collect();
    let value = json!({
        "version": 1,
        "nodes": {"source": report.cluster.source, "count": report.cluster.nodes.len()},
        "daemonsets": daemonsets,
        "errors": report.errors,
    });
    serde_json::to_writer_pretty(&mut *out, &value).map_err(io::Error::other)?;
    writeln!(out)
}
