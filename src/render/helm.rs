//! Helm charts: find the chart, run `helm template` offline, and map the rendered text back to
//! the template and values lines a user edits ([`HelmMap`], built in [`super::helm_map`]).
//!
//! The entry points, one per input:
//! - a directory holding `Chart.yaml`: [`render`] with [`HelmOptions`];
//! - a file inside a chart (`templates/ds.yaml`, `values.yaml`): [`chart_of`] finds the chart,
//!   then [`render`];
//! - several value sets of one chart: one [`render`] per set, with `HelmOptions::set` naming it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::tool::{self, ToolError};
use super::{RenderError, RenderInfo, RenderKind, Rendered};
use crate::source::Span;
use crate::source_map::{Origin, Precision, SourceId, Sources};

pub use super::helm_map::{HelmMap, RenderedAt};

/// The release name used when none is given (the one the project's truth renders used).
pub const DEFAULT_RELEASE: &str = "release";

/// How to render one chart.
#[derive(Clone, Debug)]
pub struct HelmOptions {
    /// Helm's release name (`helm template NAME CHART`).
    pub release: String,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// User values files in order (`--values`), after the chart's own `values.yaml`.
    pub values: Vec<PathBuf>,
    /// `--set key=value` pairs in order.
    pub set_values: Vec<String>,
    /// The helm binary (`--helm PATH` or the config); `None` looks for `helm` on PATH.
    pub helm: Option<PathBuf>,
    /// How long helm may run.
    pub timeout: Duration,
    /// The name of this value set when the configuration renders the chart several times.
    pub set: Option<String>,
}

impl Default for HelmOptions {
    fn default() -> Self {
        Self {
            release: DEFAULT_RELEASE.into(),
            namespace: None,
            kube_version: None,
            values: Vec::new(),
            set_values: Vec::new(),
            helm: None,
            timeout: Duration::from_secs(60),
            set: None,
        }
    }
}

/// Whether `dir` is a chart (it holds `Chart.yaml`).
#[must_use]
pub fn is_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

/// The chart that contains `path` (a file or directory inside it, or the chart itself): the
/// nearest ancestor holding `Chart.yaml`. A file of a vendored subchart (`charts/sub/...`)
/// belongs to the outermost chart, which is the one a user renders.
#[must_use]
pub fn chart_of(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    let mut found = None;
    for dir in start.ancestors() {
        if is_chart(dir) {
            found = Some(dir.to_path_buf());
        } else if found.is_some() && dir.file_name().is_some_and(|n| n != "charts") {
            // Above a chart: only a `charts/` directory can hold it as a subchart.
            break;
        }
    }
    found
}

/// The dependencies `Chart.yaml` declares that are not vendored under `charts/` (by name: a
/// directory `charts/<name>` or an archive `charts/<name>-<version>.tgz`).
#[must_use]
pub fn missing_dependencies(chart: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(chart.join("Chart.yaml")) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for doc in crate::yaml::documents(&text, crate::yaml::Limits::default()).flatten() {
        let Some(root) = doc.root() else { continue };
        let Some(deps) = root.get("dependencies") else {
            continue;
        };
        for dep in deps.items() {
            if let Some(name) = dep.get("name").and_then(|n| n.as_str()) {
                names.push(name.to_string());
            }
        }
    }
    let vendored: Vec<String> = std::fs::read_dir(chart.join("charts"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names
        .into_iter()
        .filter(|name| {
            !vendored.iter().any(|v| {
                v == name
                    || v.strip_prefix(name.as_str())
                        .is_some_and(|rest| rest.starts_with('-') && rest.ends_with(".tgz"))
            })
        })
        .collect()
}

/// The `helm template` arguments for a chart and options (the chart path as given).
#[must_use]
pub fn template_args(chart: &Path, options: &HelmOptions) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "template".into(),
        options.release.clone().into(),
        chart.as_os_str().to_owned(),
    ];
    if let Some(ns) = &options.namespace {
        args.push("--namespace".into());
        args.push(ns.into());
    }
    if let Some(v) = &options.kube_version {
        args.push("--kube-version".into());
        args.push(v.into());
    }
    for v in &options.values {
        args.push("--values".into());
        args.push(v.as_os_str().to_owned());
    }
    for s in &options.set_values {
        args.push("--set".into());
        args.push(s.into());
    }
    args
}

/// Render `chart` with `helm template` and build the map back to its templates and values.
/// The rendered text, the chart's templates and its values files are registered in `sources`
/// (templates and values under their paths as `chart` spells them).
///
/// # Errors
/// A [`RenderError`]: helm missing (`missing_tool`), dependencies not vendored, a timeout, or
/// a template that fails (with the `file:line:column` helm names as its origin).
pub fn render(
    chart: &Path,
    options: &HelmOptions,
    sources: &Sources,
) -> Result<Rendered, RenderError> {
    render_chart(chart, options, sources).map(|r| r.rendered)
}

/// A rendering with its map as the concrete [`HelmMap`] (for [`HelmMap::rendered_at`], the
/// JSON `rendered` object's template, document and line).
#[derive(Clone, Debug)]
pub struct HelmRendering {
    pub rendered: Rendered,
    pub map: Arc<HelmMap>,
}

/// [`render`], keeping the concrete map.
///
/// # Errors
/// As [`render`].
pub fn render_chart(
    chart: &Path,
    options: &HelmOptions,
    sources: &Sources,
) -> Result<HelmRendering, RenderError> {
    if !is_chart(chart) {
        return Err(RenderError::new(format!(
            "`{}` is not a Helm chart: it has no Chart.yaml",
            chart.display()
        )));
    }
    let missing = missing_dependencies(chart);
    if !missing.is_empty() {
        let chart_yaml = sources_file(sources, &chart.join("Chart.yaml"));
        let mut error = RenderError::new(format!(
            "the chart `{}` declares dependencies that are not in its charts/ directory ({}); \
             run `helm dependency build {}` to vendor them (daemonlint never fetches them)",
            chart.display(),
            missing.join(", "),
            chart.display()
        ));
        if let Some(id) = chart_yaml {
            error = error.at(Origin::file(id));
        }
        return Err(error);
    }
    let helm = tool::find("helm", options.helm.as_deref()).map_err(|e| match e {
        ToolError::Missing { name } => RenderError {
            message: format!(
                "helm is needed to lint the chart `{}` but `{name}` was not found: install helm \
                 v3 (https://helm.sh/docs/intro/install/) or name it with --helm PATH",
                chart.display()
            ),
            origin: None,
            missing_tool: true,
        },
        other => RenderError::new(other.to_string()),
    })?;
    let args = template_args(chart, options);
    let output = tool::run(&helm, &args, None, options.timeout).map_err(|e| match e {
        ToolError::Timeout { after, .. } => RenderError::new(format!(
            "`helm template` on `{}` did not finish within {} s and was stopped; raise the \
             timeout or check the chart",
            chart.display(),
            after.as_secs()
        )),
        other => RenderError::new(other.to_string()),
    })?;
    let mut command: Vec<String> = vec!["helm".into()];
    command.extend(args.iter().map(|a| a.to_string_lossy().into_owned()));
    if !output.success() {
        return Err(template_error(chart, &output.stderr, sources));
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut values_files = vec![chart.join("values.yaml")];
    values_files.extend(options.values.iter().cloned());
    let map = HelmMap::build(chart, &text, &values_files, sources);
    let name = format!(
        "{} (helm template {}{})",
        chart.display(),
        options.release,
        options
            .set
            .as_ref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default()
    );
    let source = sources.add(name, text);
    let map = Arc::new(map);
    let rendered = Rendered {
        source,
        map: Arc::clone(&map) as Arc<dyn crate::source_map::SourceMap>,
        info: RenderInfo {
            kind: RenderKind::Helm,
            entry: chart.display().to_string(),
            release: Some(options.release.clone()),
            values: values_files
                .iter()
                .filter(|p| p.is_file())
                .map(|p| p.display().to_string())
                .collect(),
            set: options.set.clone(),
            command,
        },
    };
    Ok(HelmRendering { rendered, map })
}

/// Register a file of the chart (once) and return its id.
pub(crate) fn sources_file(sources: &Sources, path: &Path) -> Option<SourceId> {
    let name = path.display().to_string();
    if let Some(id) = sources.find(&name) {
        return Some(id);
    }
    let text = std::fs::read_to_string(path).ok()?;
    Some(sources.add(name, text))
}

/// Where helm says a template failed: `template: agent/templates/ds.yaml:12:5: executing ...`,
/// `parse error at (agent/templates/ds.yaml:7): ...`, or a YAML error naming a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelmErrorAt {
    /// The path helm prints (`agent/templates/ds.yaml`: the chart's name, then the file).
    pub template: String,
    /// 1-based.
    pub line: Option<u32>,
    /// 1-based.
    pub column: Option<u32>,
}

/// Find the first template location in helm's error output.
#[must_use]
pub fn parse_error_location(stderr: &str) -> Option<HelmErrorAt> {
    for (marker, close) in [
        ("template: ", ':'),
        ("parse error at (", ')'),
        ("YAML parse error on ", ':'),
        ("(", ')'),
    ] {
        let mut rest = stderr;
        while let Some(at) = rest.find(marker) {
            let after = &rest[at + marker.len()..];
            rest = after;
            // `name/templates/x.yaml:12:5` up to a space, `)` or end.
            let end = after
                .find(|c: char| c.is_whitespace() || c == ')' || c == '"' || c == '\'')
                .unwrap_or(after.len());
            let token = after[..end].trim_end_matches(close).trim_end_matches(':');
            let mut parts = token.split(':');
            let Some(file) = parts.next() else { continue };
            if !file.contains("/templates/") && !file.ends_with("values.yaml") {
                continue;
            }
            let line = parts.next().and_then(|p| p.parse().ok());
            let column = parts.next().and_then(|p| p.parse().ok());
            return Some(HelmErrorAt {
                template: file.to_string(),
                line,
                column,
            });
        }
    }
    None
}

fn template_error(chart: &Path, stderr: &str, sources: &Sources) -> RenderError {
    let detail = stderr
        .lines()
        .filter(|l| !l.starts_with("WARNING") && !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let detail = detail
        .strip_prefix("Error: ")
        .unwrap_or(&detail)
        .to_string();
    let mut error = RenderError::new(format!(
        "`helm template` failed on the chart `{}`: {detail}",
        chart.display()
    ));
    if let Some(at) = parse_error_location(stderr) {
        // Helm names `<chart name>/templates/x.yaml`; the chart's directory may be named
        // otherwise, so drop the first component and join the rest to the chart.
        let relative = at.template.split_once('/').map_or("", |(_, r)| r);
        let path = chart.join(relative);
        if let Some(id) = sources_file(sources, &path) {
            let entry = sources.get(id);
            let origin = match at.line {
                Some(line) if line >= 1 && (line as usize) <= entry.line_index().line_count() => {
                    let span = entry.line_span(line as usize - 1);
                    let start =
                        span.start as usize + at.column.map_or(0, |c| c.saturating_sub(1) as usize);
                    let start = start.min(span.end as usize);
                    Origin {
                        source: id,
                        span: Span::empty(start),
                        precision: if at.column.is_some() {
                            Precision::Exact
                        } else {
                            Precision::Line
                        },
                    }
                }
                _ => Origin::file(id),
            };
            error = error.at(origin);
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_error_locations_are_read() {
        let at = parse_error_location(
            "Error: template: agent/templates/ds.yaml:12:5: executing \"agent/templates/ds.yaml\" \
             at <.Values.x.y>: nil pointer evaluating interface {}.y",
        );
        assert_eq!(
            at,
            Some(HelmErrorAt {
                template: "agent/templates/ds.yaml".into(),
                line: Some(12),
                column: Some(5),
            })
        );
        let at = parse_error_location(
            "Error: parse error at (agent/templates/ds.yaml:7): function \"nope\" not defined",
        );
        assert_eq!(
            at,
            Some(HelmErrorAt {
                template: "agent/templates/ds.yaml".into(),
                line: Some(7),
                column: None,
            })
        );
        let at = parse_error_location(
            "Error: execution error at (agent/templates/ds.yaml:3:14): set agent.level",
        );
        assert_eq!(at.map(|a| (a.line, a.column)), Some((Some(3), Some(14))));
        let at = parse_error_location(
            "Error: YAML parse error on agent/templates/ds.yaml: error converting YAML to JSON: \
             yaml: line 5: did not find expected key",
        );
        assert_eq!(
            at,
            Some(HelmErrorAt {
                template: "agent/templates/ds.yaml".into(),
                line: None,
                column: None,
            })
        );
        assert_eq!(
            parse_error_location("Error: chart requires kubeVersion: >=1.30"),
            None
        );
    }

    #[test]
    fn template_arguments_keep_the_order_of_values_files() {
        let options = HelmOptions {
            release: "rel".into(),
            namespace: Some("ns".into()),
            kube_version: Some("1.30.0".into()),
            values: vec![PathBuf::from("a.yaml"), PathBuf::from("b.yaml")],
            set_values: vec!["x=1".into()],
            ..HelmOptions::default()
        };
        let args: Vec<String> = template_args(Path::new("chart"), &options)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "template",
                "rel",
                "chart",
                "--namespace",
                "ns",
                "--kube-version",
                "1.30.0",
                "--values",
                "a.yaml",
                "--values",
                "b.yaml",
                "--set",
                "x=1"
            ]
        );
    }
}
