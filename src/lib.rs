//! daemonlint: a linter and policy checker for Kubernetes DaemonSet manifests.
//!
//! The data flows one way: discover → load → objects → check → report. One [`Linter`]
//! serves the command line, the language server and the tests.

pub mod atomic;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod cross;
pub mod diagnostic;
pub mod discover;
pub mod engine;
pub mod findings;
pub mod fix;
pub mod input;
pub mod inventory;
pub mod k8s;
pub mod lsp;
pub mod manifest;
pub mod outcome;
pub mod policy;
pub mod registry;
pub mod remap;
pub mod render;
pub mod report;
pub mod rules;
pub mod rules_docs;
pub mod schema;
pub mod session;
pub mod settings;
pub mod source;
pub mod source_map;
pub(crate) mod stream;
pub mod suppress;
pub mod suppress_stage;
pub mod yaml;

pub use engine::SettingsSource;
pub use outcome::{
    Collect, Emitter, FileReport, LintedObject, Outcome, Phase, Report, Stats, Totals,
};
pub use session::{Derived, FixOptions, FixSummary, Inputs, Linter, Stdin};
