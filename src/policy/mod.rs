//! Custom policies: a JSON Schema that a DaemonSet, its pod spec or each of its containers must
//! satisfy, with the policy's own id, severity and message.
//!
//! A policy file holds one policy per YAML document:
//!
//! ```yaml
//! id: images-from-our-registry        # required; must not be a built-in rule id
//! severity: error                     # error | warning (default) | info
//! message: images must come from registry.example.com
//! help: mirror the image first        # optional
//! docs: https://wiki.example.com/x    # optional
//! target: container                   # daemonset | podSpec | container (init containers too)
//! match:                              # optional; every given condition must hold
//!   namespaces: [kube-system]         #   metadata.namespace (absent = `default`)
//!   labels: {team: platform}          #   metadata.labels
//!   name: "fluent-*"                  #   a glob on metadata.name
//! schema:                             # JSON Schema (draft 2020-12 unless `$schema` says)
//!   properties:
//!     image: {pattern: "^registry\\.example\\.com/"}
//! ```
//!
//! Policy files are read with the project's span tree, so every problem in one points at the
//! exact line and column (rule `invalid-policy`). Patterns run on the linear-time `regex` engine.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use globset::{Glob, GlobMatcher};
use jsonschema::Validator;

use crate::diagnostic::{Diagnostic, Severity};
use crate::findings::FileReport;
use crate::manifest::{DaemonSet, Object};
use crate::rules;
use crate::schema::{self, ObjectInstance};
use crate::settings::Settings;
use crate::source::{SourceFile, Span};
use crate::yaml::json::{to_json_with, Keys};
use crate::yaml::{self, Node, NodeType};

pub(crate) mod instance;
pub use instance::{Instance, SpanJson};

/// What a policy's schema is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The whole DaemonSet object.
    DaemonSet,
    /// `spec.template.spec`.
    PodSpec,
    /// Every container, init container and ephemeral container, one at a time.
    Container,
}

impl Target {
    const NAMES: [&'static str; 3] = ["daemonset", "podSpec", "container"];

    fn parse(text: &str) -> Option<Target> {
        match text {
            "daemonset" => Some(Self::DaemonSet),
            "podSpec" => Some(Self::PodSpec),
            "container" => Some(Self::Container),
            _ => None,
        }
    }
}

/// Which DaemonSets a policy applies to.
#[derive(Debug, Default)]
struct Match {
    namespaces: Option<Vec<String>>,
    labels: Vec<(String, String)>,
    name: Option<GlobMatcher>,
}

impl Match {
    fn matches(&self, object: &Object<'_>) -> bool {
        if let Some(namespaces) = &self.namespaces {
            let ns = object.namespace().unwrap_or("default");
            if !namespaces.iter().any(|n| n == ns) {
                return false;
            }
        }
        if !self.labels.is_empty() {
            let labels = object.metadata().and_then(|m| m.get("labels"));
            for (key, value) in &self.labels {
                if labels.and_then(|l| l.get(key)).and_then(|v| v.as_str()) != Some(value) {
                    return false;
                }
            }
        }
        if let Some(glob) = &self.name {
            if !object.name().is_some_and(|n| glob.is_match(n)) {
                return false;
            }
        }
        true
    }
}

/// A loaded, compiled policy.
pub struct Policy {
    pub id: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub docs: Option<String>,
    pub target: Target,
    /// The file the policy comes from, as given.
    pub file: String,
    matcher: Match,
    validator: Validator<SpanJson>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("id", &self.id)
            .field("severity", &self.severity)
            .field("target", &self.target)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// The policies of a run.
#[derive(Debug, Default)]
pub struct PolicySet {
    policies: Vec<Policy>,
}

/// Most findings one policy reports on one target.
const MAX_FINDINGS_PER_TARGET: usize = 20;

impl PolicySet {
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Policy> {
        self.policies.iter()
    }

    /// Run every policy that applies to `ds`.
    pub(crate) fn check(
        &self,
        ds: &DaemonSet<'_>,
        instance: &mut ObjectInstance<'_, '_>,
        settings: &Settings,
        out: &mut Vec<Diagnostic>,
    ) {
        for policy in &self.policies {
            let Some(severity) = settings.severity_for_id(&policy.id, policy.severity) else {
                continue;
            };
            if !policy.matcher.matches(&ds.object) {
                continue;
            }
            if instance.get(settings, out).is_none() {
                return;
            }
            for (pointer, key, node) in targets(policy.target, ds) {
                for error in policy
                    .validator
                    .iter_errors(Instance::Tree(node))
                    .take(MAX_FINDINGS_PER_TARGET)
                {
                    let problem = instance::problem(&error);
                    let at = error.instance_path().as_str();
                    let describe = || error.to_string();
                    for found in schema::explain(&problem, at, node, key, &pointer, describe) {
                        let mut v = found.violation;
                        v.message = format!("{}: {}", policy.message, v.message);
                        v.help = policy.help.clone().map(std::borrow::Cow::Owned);
                        v.fix = None;
                        let mut d =
                            rules::object_diagnostic(&ds.object, policy.id.clone(), severity, v);
                        d.docs = Some(policy.docs.clone().unwrap_or_default());
                        out.push(d);
                    }
                }
            }
        }
    }
}

/// The JSON pointer (inside the object), the key span (if the value has a key) and the node of
/// each value a policy target names.
fn targets<'a>(target: Target, ds: &DaemonSet<'a>) -> Vec<(String, Option<Span>, Node<'a>)> {
    match target {
        Target::DaemonSet => vec![(String::new(), None, ds.object.node)],
        Target::PodSpec => vec![(
            "/spec/template/spec".into(),
            Some(ds.pod_key.span()),
            ds.pod,
        )],
        Target::Container => ds
            .all_containers()
            .map(|c| {
                (
                    format!("/spec/template/spec/{}/{}", c.kind.field(), c.index),
                    None,
                    c.node,
                )
            })
            .collect(),
    }
}

/// Load and compile the policy files. Every problem becomes an `invalid-policy` finding in a
/// report of the policy file; any such finding makes the whole load fail.
pub fn load(paths: &[PathBuf], settings: &Settings) -> Result<PolicySet, Vec<FileReport>> {
    let mut set = PolicySet::default();
    let mut failed = Vec::new();
    let mut ids = HashSet::new();
    for path in paths {
        let name = path.display().to_string();
        let source = match crate::source::read(path, &name, settings.max_file_size) {
            Ok((source, None)) => source,
            Ok((source, Some(problem))) => {
                let d = Diagnostic::new(
                    rules::INVALID_POLICY.id,
                    rules::YAML_SYNTAX.default_severity,
                    problem.span,
                    problem.message,
                );
                failed.push(report(source, vec![d]));
                continue;
            }
            Err(e) => {
                let d = Diagnostic::new(
                    rules::INVALID_POLICY.id,
                    Severity::Error,
                    Span::empty(0),
                    format!("cannot read the policy file: {e}"),
                );
                failed.push(report(SourceFile::new(name, String::new()), vec![d]));
                continue;
            }
        };
        let (policies, errors) = load_source(&source, settings, &mut ids);
        if errors.is_empty() {
            set.policies.extend(policies);
        } else {
            failed.push(report(source, errors));
        }
    }
    if failed.is_empty() {
        Ok(set)
    } else {
        Err(failed)
    }
}

fn report(source: SourceFile, mut diagnostics: Vec<Diagnostic>) -> FileReport {
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let mut report = FileReport::findings(source, diagnostics);
    report.io_error = true;
    report
}

/// Parse the policies of one file. `ids` holds the ids already taken by earlier files.
pub fn load_source(
    source: &SourceFile,
    settings: &Settings,
    ids: &mut HashSet<String>,
) -> (Vec<Policy>, Vec<Diagnostic>) {
    let mut policies = Vec::new();
    let mut errors = Errors::default();
    let mut any = false;
    for doc in yaml::documents(&source.text, settings.limits) {
        let doc = match doc {
            Ok(doc) => doc,
            // A policy is not sent to Kubernetes: what only go-yaml v2 refuses does not matter.
            Err(err) if err.kubernetes => continue,
            Err(err) => {
                errors.push(err.span, format!("invalid YAML: {}", err.message), None);
                continue;
            }
        };
        for dup in &doc.duplicate_keys {
            errors.push(
                dup.second,
                format!("the key `{}` appears twice in this mapping", dup.key),
                None,
            );
        }
        let Some(root) = doc.root() else { continue };
        if root.is_null() {
            continue;
        }
        any = true;
        if let Some(policy) = parse_policy(root, source, settings, ids, &mut errors) {
            policies.push(policy);
        }
    }
    if !any && errors.0.is_empty() {
        errors.push(
            Span::empty(0),
            "the policy file holds no policy".into(),
            Some("write one policy (a mapping with `id`, `message`, `target` and `schema`) per YAML document".into()),
        );
    }
    let mut errors = errors.0;
    errors.sort_by_key(|d| (d.span.start, d.span.end));
    (policies, errors)
}

#[derive(Default)]
struct Errors(Vec<Diagnostic>);

impl Errors {
    fn push(&mut self, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(rules::INVALID_POLICY.id, Severity::Error, span, message);
        d.help = help.map(std::borrow::Cow::Owned);
        self.0.push(d);
    }
}

const KEYS: [&str; 8] = [
    "id", "severity", "message", "help", "docs", "target", "match", "schema",
];

fn string_field<'a>(
    root: Node<'a>,
    key: &str,
    required: bool,
    errors: &mut Errors,
) -> Option<(Node<'a>, &'a str)> {
    match root.entry(key) {
        None => {
            if required {
                errors.push(
                    root.entry("id")
                        .map_or_else(|| first_key_span(root), |(k, _)| k.span()),
                    format!("the policy has no `{key}`"),
                    Some(format!("add `{key}:` (see `policies/examples/`)")),
                );
            }
            None
        }
        Some((k, v)) => match v.as_str() {
            Some(text) if !text.trim().is_empty() => Some((v, text)),
            _ => {
                errors.push(
                    if v.span().is_empty() {
                        k.span()
                    } else {
                        v.span()
                    },
                    format!(
                        "`{key}` must be a non-empty string, but it is {}",
                        type_phrase(v)
                    ),
                    None,
                );
                None
            }
        },
    }
}

fn first_key_span(root: Node<'_>) -> Span {
    root.entries()
        .first()
        .map_or(root.span(), |(k, _)| k.span())
}

fn type_phrase(node: Node<'_>) -> String {
    match node.node_type() {
        NodeType::Null => "empty".into(),
        NodeType::String => "an empty string".into(),
        other => format!("a {}", other.name()),
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.len() <= 100
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn parse_policy(
    root: Node<'_>,
    source: &SourceFile,
    settings: &Settings,
    ids: &mut HashSet<String>,
    errors: &mut Errors,
) -> Option<Policy> {
    if !root.is_mapping() {
        errors.push(
            root.span(),
            format!(
                "a policy must be a mapping, but this document is a {}",
                root.node_type().name()
            ),
            Some(
                "write `id`, `message`, `target` and `schema` keys (see `policies/examples/`)"
                    .into(),
            ),
        );
        return None;
    }
    let before = errors.0.len();
    for (key, _) in root.entries() {
        let name = key.scalar_text().unwrap_or_default();
        if !KEYS.contains(&name) {
            let hint = schema::suggest(name, KEYS)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            errors.push(
                key.span(),
                format!("unknown policy field `{name}`{hint}"),
                Some(format!(
                    "a policy has the fields {}",
                    KEYS.map(|k| format!("`{k}`")).join(", ")
                )),
            );
        }
    }
    let id = string_field(root, "id", true, errors).and_then(|(node, id)| {
        if !valid_id(id) {
            errors.push(
                node.span(),
                format!("the policy id `{id}` must start with a letter or digit and hold only letters, digits, `-`, `_`, `.` and `/`"),
                None,
            );
            None
        } else if rules::find(id).is_some() {
            errors.push(
                node.span(),
                format!("the policy id `{id}` is a built-in rule id; choose another (e.g. `org-{id}`)"),
                None,
            );
            None
        } else if !ids.insert(id.to_string()) {
            errors.push(
                node.span(),
                format!("another policy already has the id `{id}`; ids must be unique"),
                None,
            );
            None
        } else {
            Some(id.to_string())
        }
    });
    let severity = match string_field(root, "severity", false, errors) {
        None => Some(Severity::Warning),
        Some((node, text)) => match text {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            other => {
                errors.push(
                    node.span(),
                    format!("unknown severity `{other}`; use `error`, `warning` or `info`"),
                    None,
                );
                None
            }
        },
    };
    let message = string_field(root, "message", true, errors).map(|(_, m)| m.to_string());
    let help = string_field(root, "help", false, errors).map(|(_, m)| m.to_string());
    let docs = string_field(root, "docs", false, errors).map(|(_, m)| m.to_string());
    let target = string_field(root, "target", true, errors).and_then(|(node, text)| {
        let target = Target::parse(text);
        if target.is_none() {
            let hint = schema::suggest(text, Target::NAMES)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            errors.push(
                node.span(),
                format!("unknown target `{text}`{hint}; use `daemonset`, `podSpec` or `container`"),
                None,
            );
        }
        target
    });
    let matcher = parse_match(root, errors);
    let validator = parse_schema(root, settings, errors);
    if errors.0.len() > before {
        return None;
    }
    Some(Policy {
        id: id?,
        severity: severity?,
        message: message?,
        help,
        docs,
        target: target?,
        file: source.name.clone(),
        matcher: matcher?,
        validator: validator?,
    })
}

fn parse_match(root: Node<'_>, errors: &mut Errors) -> Option<Match> {
    let mut matcher = Match::default();
    let Some((key, node)) = root.entry("match") else {
        return Some(matcher);
    };
    if node.is_null() {
        return Some(matcher);
    }
    if !node.is_mapping() {
        errors.push(
            if node.span().is_empty() {
                key.span()
            } else {
                node.span()
            },
            format!("`match` must be a mapping, but it is {}", type_phrase(node)),
            None,
        );
        return None;
    }
    let mut ok = true;
    for (k, v) in node.entries() {
        match k.scalar_text().unwrap_or_default() {
            "namespaces" => {
                let items: Option<Vec<String>> = if v.is_sequence() {
                    v.items().map(|i| i.as_str().map(str::to_string)).collect()
                } else {
                    None
                };
                match items {
                    Some(list) => matcher.namespaces = Some(list),
                    None => {
                        errors.push(
                            v.span(),
                            "`match.namespaces` must be a list of namespace names".into(),
                            None,
                        );
                        ok = false;
                    }
                }
            }
            "labels" => {
                if !v.is_mapping() {
                    errors.push(
                        v.span(),
                        "`match.labels` must be a mapping of label keys to values".into(),
                        None,
                    );
                    ok = false;
                    continue;
                }
                for (lk, lv) in v.entries() {
                    match (lk.scalar_text(), lv.as_str()) {
                        (Some(lk), Some(lv)) => {
                            matcher.labels.push((lk.to_string(), lv.to_string()))
                        }
                        _ => {
                            errors.push(
                                lv.span(),
                                "label values in `match.labels` must be strings (quote `\"true\"`, `\"1\"`)".into(),
                                None,
                            );
                            ok = false;
                        }
                    }
                }
            }
            "name" => match v.as_str().map(Glob::new) {
                Some(Ok(glob)) => matcher.name = Some(glob.compile_matcher()),
                Some(Err(e)) => {
                    errors.push(
                        v.span(),
                        format!("`match.name` is not a valid glob: {e}"),
                        None,
                    );
                    ok = false;
                }
                None => {
                    errors.push(
                        v.span(),
                        "`match.name` must be a glob string such as `fluent-*`".into(),
                        None,
                    );
                    ok = false;
                }
            },
            other => {
                let hint = schema::suggest(other, ["namespaces", "labels", "name"])
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                errors.push(
                    k.span(),
                    format!("unknown `match` field `{other}`{hint}"),
                    Some("`match` takes `namespaces`, `labels` and `name`".into()),
                );
                ok = false;
            }
        }
    }
    ok.then_some(matcher)
}

fn parse_schema(
    root: Node<'_>,
    settings: &Settings,
    errors: &mut Errors,
) -> Option<Validator<SpanJson>> {
    let Some((key, node)) = root.entry("schema") else {
        errors.push(
            first_key_span(root),
            "the policy has no `schema`".into(),
            Some("add `schema:` with the JSON Schema the target must satisfy".into()),
        );
        return None;
    };
    if !node.is_mapping() && node.as_bool().is_none() {
        errors.push(
            if node.span().is_empty() {
                key.span()
            } else {
                node.span()
            },
            format!(
                "`schema` must be a JSON Schema (a mapping), but it is {}",
                type_phrase(node)
            ),
            None,
        );
        return None;
    }
    // Keys are property names as written (`n:` is `"n"`); values read as in manifests.
    let json = match to_json_with(node, settings.limits.max_expanded_nodes, Keys::Literal) {
        Ok(json) => json,
        Err(limit) => {
            errors.push(node.span(), limit.message, None);
            return None;
        }
    };
    // Every problem the meta-schema finds, then whatever compiling finds (a pattern the `regex`
    // engine refuses, an unresolvable `$ref`).
    let mut found = 0;
    if let Ok(meta) = jsonschema::meta::validator_for(&json) {
        for error in meta.iter_errors(&json).take(20) {
            schema_error(&error, key, node, errors);
            found += 1;
        }
    }
    if found > 0 {
        return None;
    }
    match build_validator(&json) {
        Ok(validator) => Some(validator),
        Err(error) => {
            schema_error(&error, key, node, errors);
            None
        }
    }
}

/// Build a validator the way daemonlint always does: no network, formats checked, patterns on
/// the linear-time `regex` engine.
pub(crate) fn build_validator(
    schema: &serde_json::Value,
) -> Result<Validator<SpanJson>, jsonschema::ValidationError<'static>> {
    jsonschema::options_for::<SpanJson>()
        .should_validate_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
}

/// Report a schema error at the schema node it names.
fn schema_error(
    error: &jsonschema::ValidationError<'_>,
    key: Node<'_>,
    node: Node<'_>,
    errors: &mut Errors,
) {
    let pointer = error.instance_path().as_str();
    let (span, place) = match node.pointer_entry_with(pointer, true) {
        Some((_, n)) if !pointer.is_empty() => (
            n.span(),
            format!(" at `schema{}`", schema::dotted_suffix(pointer)),
        ),
        _ => (key.span(), String::new()),
    };
    let bad_regex = matches!(
        error.kind(),
        jsonschema::error::ValidationErrorKind::Format { format } if format == "regex"
    );
    let (message, help) = if bad_regex {
        (
            format!(
                "invalid JSON Schema{place}: `{}` is not a regular expression the \
                 linear-time `regex` engine accepts",
                error.instance().as_str().unwrap_or_default()
            ),
            Some(
                "patterns use the `regex` crate's syntax, which runs in linear time: \
                 no look-around and no back-references"
                    .to_string(),
            ),
        )
    } else if pointer.ends_with("/type") {
        (
            format!(
                "invalid JSON Schema{place}: {} is not a JSON Schema type",
                error.instance()
            ),
            Some(
                "use `string`, `integer`, `number`, `boolean`, `object`, `array` or `null` \
                 (or a list of them)"
                    .to_string(),
            ),
        )
    } else {
        (format!("invalid JSON Schema{place}: {error}"), None)
    };
    errors.push(span, message, help);
}

#[cfg(test)]
mod tests;

/// What loading a list of policy files gives: the compiled set, or the reports of the broken
/// files.
pub type Loaded = Result<PolicySet, Vec<FileReport>>;

/// The policies of a [`crate::session::Linter`], loaded once per distinct list of files (files
/// are linted in parallel with the same settings; the language server relints often). A new
/// linter (a reloaded configuration) starts empty, so edited policy files are read again.
#[derive(Debug, Default)]
pub struct Cache {
    loaded: std::sync::Mutex<HashMap<Vec<PathBuf>, std::sync::Arc<Loaded>>>,
}

impl Cache {
    /// The policies of `settings.policies`, loaded on first use.
    #[must_use]
    pub fn get(&self, settings: &Settings) -> std::sync::Arc<Loaded> {
        use std::sync::Arc;
        let key = &settings.policies;
        if let Some(hit) = self.loaded.lock().ok().and_then(|c| c.get(key).cloned()) {
            return hit;
        }
        let loaded = Arc::new(load(&settings.policies, settings));
        if let Ok(mut c) = self.loaded.lock() {
            c.insert(key.clone(), Arc::clone(&loaded));
        }
        loaded
    }
}
