//! Rendering: Helm charts and Kustomize overlays become derived texts with a [`SourceMap`] back
//! to the files the user edits (templates, values files, bases, patches, kustomizations).
//!
//! A renderer runs the real tool ([`tool`]), registers the rendered text in the run's
//! [`Sources`](crate::source_map::Sources) and returns a [`Rendered`]: the text's id, the map
//! and what a user needs to reproduce it ([`RenderInfo`]). A failure is a [`RenderError`] with
//! the place to fix when the tool names one.

pub mod helm;
mod helm_map;
pub mod kustomize;
pub mod tool;

use std::sync::Arc;

use serde::Serialize;

use crate::source_map::{Origin, SourceId, SourceMap};

/// What produced a rendered text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RenderKind {
    Helm,
    Kustomize,
}

/// How to reproduce a rendering (the JSON `rendered` object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderInfo {
    pub kind: RenderKind,
    /// The chart or kustomization directory, as the user named it.
    pub entry: String,
    /// Helm's release name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Helm's values files in order (the chart's own `values.yaml` first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The name of this rendering when the configuration renders the entry several times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// The command line that reproduces the rendering.
    pub command: Vec<String>,
}

/// One rendered text, registered in the run's sources, with its map back to the origins.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub source: SourceId,
    pub map: Arc<dyn SourceMap>,
    pub info: RenderInfo,
}

/// A rendering that failed: what went wrong, and where to fix it when the tool says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    /// A diagnostic-ready sentence: what failed, why, what to do.
    pub message: String,
    /// The place the tool named (`templates/ds.yaml:12:5`), or the entry's file.
    pub origin: Option<Origin>,
    /// The tool is not installed (exit 2 for the run, the other inputs still linted).
    pub missing_tool: bool,
}

impl RenderError {
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            origin: None,
            missing_tool: false,
        }
    }

    #[must_use]
    pub fn at(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}
