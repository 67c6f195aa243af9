//! What a check found: rule id, severity, message, span, labels, help and an optional fix.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::source::Span;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location with its own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The source the span points into, when it is not the finding's own file (cross-object
    /// findings point into other files of the run, mapped findings into other origins). An id
    /// of the run's [`crate::source_map::Sources`], which emitters resolve it through.
    pub file: Option<crate::source_map::SourceId>,
}

impl Label {
    #[must_use]
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            file: None,
        }
    }

    /// A label in another file of the run.
    #[must_use]
    pub fn in_file(mut self, file: crate::source_map::SourceId) -> Self {
        self.file = Some(file);
        self
    }
}

/// Whether a fix can be applied without a human's judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the manifest's intent; applied by `--fix`.
    Safe,
    /// Changes behaviour; applied only with `--unsafe-fixes`.
    Unsafe,
}

/// One text replacement on a byte span of the original source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A fix: a description and a set of non-overlapping edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub description: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// Kind, name and namespace of the object a finding belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// A finding, positioned in its file by byte span.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: Cow<'static, str>,
    pub severity: Severity,
    pub message: String,
    /// Advice, most often a fixed text (not allocated per finding).
    pub help: Option<Cow<'static, str>>,
    pub span: Span,
    pub labels: Vec<Label>,
    pub fix: Option<Fix>,
    /// 0-based index of the document in its file.
    pub document: usize,
    /// Dotted path from the document root, e.g. `spec.template.spec.hostNetwork`.
    pub path: Option<String>,
    /// Shared by the findings of one object (see `rules::stamp_object`).
    pub object: Option<std::sync::Arc<ObjectRef>>,
    /// The container the finding is about, when it is about one.
    pub container: Option<String>,
    /// Set when a suppression silenced the finding.
    pub suppressed: Option<Suppressed>,
    /// The documentation URL when it is not a built-in rule's page (a custom policy's `docs`;
    /// empty when the policy names none).
    pub docs: Option<String>,
    /// Set when the finding was made on a derived text (a rendered chart, a built overlay) and
    /// mapped back to the file the user edits: how sure that place is.
    pub mapping: Option<Box<Mapping>>,
}

/// How a finding of a derived text was mapped to its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    pub precision: crate::source_map::Precision,
    /// How the text was produced (the JSON `rendered` object), already serialized.
    pub rendered: Option<std::sync::Arc<serde_json::Value>>,
}

impl Diagnostic {
    #[must_use]
    pub fn new(
        rule: impl Into<Cow<'static, str>>,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule: rule.into(),
            severity,
            message: message.into(),
            help: None,
            span,
            labels: Vec::new(),
            fix: None,
            document: 0,
            path: None,
            object: None,
            container: None,
            suppressed: None,
            docs: None,
            mapping: None,
        }
    }

    /// The documentation page of the rule.
    #[must_use]
    pub fn docs_url(&self) -> String {
        match &self.docs {
            Some(url) => url.clone(),
            None => rule_docs_url(&self.rule),
        }
    }
}

/// How a finding was suppressed (see `suppress`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Suppressed {
    /// `comment`, `document-comment` or `annotation`.
    pub kind: &'static str,
    pub reason: Option<String>,
}

/// Where a built-in rule's page is published.
#[must_use]
pub fn rule_docs_url(id: &str) -> String {
    format!("https://github.com/daemonlint/daemonlint/blob/main/rules/{id}.md")
}
