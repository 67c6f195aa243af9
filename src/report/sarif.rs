//! SARIF 2.1.0 (OASIS), as GitHub code scanning and other SARIF viewers read it.
//!
//! - Every rule of the registry is described in `tool.driver.rules` (summary, the page's "What it
//!   does", the page itself as help, the docs URL and the default level).
//! - Columns are UTF-16 code units, SARIF's default, and the run says so (`columnKind`).
//! - File URIs are relative to `%SRCROOT%`, which `originalUriBaseIds` maps to the working
//!   directory when it is known.
//! - Fingerprints are the ones the GitLab format uses (rule, file, object, YAML path).

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::RenderOptions;
use crate::diagnostic::{Diagnostic, Severity};
use crate::outcome::Report;
use crate::rules;
use crate::source::{SourceFile, Span};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/daemonlint/daemonlint";
const SRCROOT: &str = "%SRCROOT%";
/// The key of our own entry in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "daemonlint/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: std::collections::BTreeMap<&'static str, BaseUri>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
struct BaseUri {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    description: Text<'static>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Markdown {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: &'static str,
    short_description: Text<'static>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text<'static>>,
    help_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Markdown>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    enabled: bool,
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    category: &'static str,
    tags: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: [Location<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location<'a>>,
    partial_fingerprints: std::collections::BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
    /// Present on a finding that is suppressed (shown with `--show-suppressed`): code scanning
    /// then lists it as dismissed instead of open.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: ResultProperties<'a>,
}

/// SARIF's `suppression` object (§3.35): `inSource` for a comment or annotation in the
/// manifest, `external` for the configuration's exemptions and the baseline file.
#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
    properties: SuppressionProperties,
}

#[derive(Serialize)]
struct SuppressionProperties {
    /// daemonlint's own name of the mechanism (`comment`, `annotation`, `baseline`, ...).
    mechanism: &'static str,
}

fn suppressions(d: &Diagnostic) -> Vec<Suppression<'_>> {
    d.suppressed
        .iter()
        .map(|s| Suppression {
            kind: match s.kind {
                "baseline" | "exemption" => "external",
                _ => "inSource",
            },
            justification: s.reason.as_deref(),
            properties: SuppressionProperties { mechanism: s.kind },
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation<'a>,
    region: Region,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation<'a> {
    uri: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    fully_qualified_name: String,
    properties: LogicalProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalProperties<'a> {
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Text<'a>,
    artifact_changes: [ArtifactChange<'a>; 1],
    properties: FixProperties,
}

#[derive(Serialize)]
struct FixProperties {
    applicability: crate::diagnostic::Applicability,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation<'a>,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: Text<'a>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    document: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A region with 1-based lines and 1-based UTF-16 columns; the end column is exclusive.
fn region(source: &SourceFile, span: Span) -> Region {
    Region::of(span, |offset| source.utf16_position(offset))
}

impl Region {
    /// The region of `span`, given the 0-based line and UTF-16 column of an offset.
    fn of(span: Span, position: impl Fn(u32) -> (u32, u32)) -> Self {
        let (start_line, start_col) = position(span.start);
        let (end_line, end_col) = position(span.end.max(span.start));
        Self {
            start_line: start_line + 1,
            start_column: start_col + 1,
            end_line: end_line + 1,
            end_column: end_col + 1,
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`, so that a file name
/// is a valid relative reference (a `:` in it can't be taken for a scheme).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `file:` URI of an absolute path.
fn file_uri(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let text = if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.to_string()
    };
    let lead = if text.starts_with('/') { "" } else { "/" };
    Some(format!("file://{lead}{}", encode_path(&text)))
}

/// The `file:` URI of a directory, with the trailing slash a base URI needs.
fn directory_uri(dir: &Path) -> Option<String> {
    file_uri(dir).map(|uri| if uri.ends_with('/') { uri } else { uri + "/" })
}

/// The artifact location of a file: relative to `%SRCROOT%` when the name is relative (or an
/// absolute name under the root), else an absolute `file:` URI.
fn artifact_uri(name: &str, root: Option<&Path>) -> (String, Option<&'static str>) {
    let relative = super::relative_name(name, root);
    let path = Path::new(relative.as_ref());
    match file_uri(path).filter(|_| path.is_absolute()) {
        Some(uri) => (uri, None),
        None => (encode_path(&relative), Some(SRCROOT)),
    }
}

fn descriptor(meta: &'static rules::RuleMeta) -> Descriptor {
    Descriptor {
        id: meta.id,
        short_description: Text { text: meta.summary },
        full_description: crate::rules_docs::section(meta.id, "What it does")
            .map(|text| Text { text }),
        help_uri: rules::docs_url(meta.id),
        help: crate::rules_docs::body(meta.id).map(|body| Markdown {
            text: body,
            markdown: body,
        }),
        default_configuration: Configuration {
            enabled: meta.default_enabled,
            level: level(meta.default_severity),
        },
        properties: RuleProperties {
            category: meta.category.as_str(),
            tags: [meta.category.as_str()],
        },
    }
}

fn logical_location(d: &Diagnostic) -> Vec<LogicalLocation<'_>> {
    d.object
        .iter()
        .map(|o| LogicalLocation {
            kind: "resource",
            name: o.name.as_deref(),
            fully_qualified_name: super::qualified_name(o),
            properties: LogicalProperties {
                kind: &o.kind,
                namespace: o.namespace.as_deref(),
            },
        })
        .collect()
}

/// A source a label points into: its entry in the run's table, and its artifact URI and base.
type Other = (
    std::sync::Arc<crate::source_map::SourceEntry>,
    (String, Option<&'static str>),
);

pub fn emit(report: &Report, options: RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    let metas: Vec<&'static rules::RuleMeta> = rules::all_meta().collect();
    let root = options.src_root;
    let uris: Vec<(String, Option<&'static str>)> = report
        .files
        .iter()
        .map(|f| artifact_uri(&f.source.name, root))
        .collect();
    // The sources labels point into (other files of the run, other origins), resolved once
    // through the run's table.
    let mut others: std::collections::BTreeMap<crate::source_map::SourceId, Other> =
        std::collections::BTreeMap::new();
    for (_, d) in report.diagnostics() {
        for id in d.labels.iter().filter_map(|l| l.file) {
            if let (std::collections::btree_map::Entry::Vacant(slot), Some(entry)) =
                (others.entry(id), report.sources.try_get(id))
            {
                let uri = artifact_uri(&entry.name, root);
                slot.insert((entry, uri));
            }
        }
    }
    let fingerprints = super::fingerprints(report, root);
    let mut results = Vec::with_capacity(fingerprints.len());
    let mut fingerprints = fingerprints.into_iter();
    for (file, (uri, base)) in report.files.iter().zip(&uris) {
        let artifact = ArtifactLocation {
            uri,
            uri_base_id: *base,
        };
        for d in report.visible(file) {
            let mut partial = std::collections::BTreeMap::new();
            partial.insert(FINGERPRINT_KEY, fingerprints.next().unwrap_or_default());
            let related = d
                .labels
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    // A label may point into another source of the run (cross-object
                    // findings, mapped findings).
                    let (region, location) = match label.file.and_then(|id| others.get(&id)) {
                        Some((entry, (uri, base))) => (
                            Region::of(label.span, |offset| entry.utf16_position(offset)),
                            ArtifactLocation {
                                uri,
                                uri_base_id: *base,
                            },
                        ),
                        None => (region(&file.source, label.span), artifact.clone()),
                    };
                    Location {
                        id: Some(i + 1),
                        physical_location: PhysicalLocation {
                            artifact_location: location,
                            region,
                        },
                        logical_locations: Vec::new(),
                        message: Some(Text {
                            text: &label.message,
                        }),
                    }
                })
                .collect();
            let fixes = d
                .fix
                .iter()
                .map(|fix| SarifFix {
                    description: Text {
                        text: &fix.description,
                    },
                    artifact_changes: [ArtifactChange {
                        artifact_location: artifact.clone(),
                        replacements: fix
                            .edits
                            .iter()
                            .map(|e| Replacement {
                                deleted_region: region(&file.source, e.span),
                                inserted_content: Text {
                                    text: &e.replacement,
                                },
                            })
                            .collect(),
                    }],
                    properties: FixProperties {
                        applicability: fix.applicability,
                    },
                })
                .collect();
            results.push(SarifResult {
                rule_id: &d.rule,
                rule_index: metas.iter().position(|m| m.id == d.rule),
                level: level(d.severity),
                message: Text { text: &d.message },
                locations: [Location {
                    id: None,
                    physical_location: PhysicalLocation {
                        artifact_location: artifact.clone(),
                        region: region(&file.source, d.span),
                    },
                    logical_locations: logical_location(d),
                    message: None,
                }],
                related_locations: related,
                partial_fingerprints: partial,
                fixes,
                suppressions: suppressions(d),
                properties: ResultProperties {
                    help: d.help.as_deref(),
                    path: d.path.as_deref(),
                    document: d.document,
                },
            });
        }
    }
    let mut base_ids = std::collections::BTreeMap::new();
    base_ids.insert(
        SRCROOT,
        BaseUri {
            uri: root.and_then(directory_uri),
            description: Text {
                text: "The directory daemonlint ran in; file names are relative to it.",
            },
        },
    );
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "daemonlint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: metas.iter().map(|m| descriptor(m)).collect(),
                },
            },
            original_uri_base_ids: base_ids,
            column_kind: "utf16CodeUnits",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_references() {
        assert_eq!(encode_path("deploy/agent.yaml"), "deploy/agent.yaml");
        assert_eq!(encode_path("a b/c:d,%.yaml"), "a%20b/c%3Ad%2C%25.yaml");
        assert_eq!(encode_path("é.yaml"), "%C3%A9.yaml");
        assert_eq!(
            artifact_uri("/repo/deploy/x.yaml", Some(Path::new("/repo"))),
            ("deploy/x.yaml".to_string(), Some(SRCROOT))
        );
        assert_eq!(
            artifact_uri("/elsewhere/x.yaml", Some(Path::new("/repo"))),
            ("file:///elsewhere/x.yaml".to_string(), None)
        );
        assert_eq!(
            directory_uri(Path::new("/my repo")).as_deref(),
            Some("file:///my%20repo/")
        );
        assert_eq!(directory_uri(Path::new("/")).as_deref(), Some("file:///"));
    }
}
