//! The language server: `daemonlint lsp` speaks the Language Server Protocol on stdin/stdout.
//!
//! - Full document sync. Diagnostics are published on open and save at once, and after a change
//!   once the document has been quiet for the debounce delay (150 ms; `initializationOptions:
//!   {"debounceMs": N}`). The message loop never blocks on the delay: it waits on the
//!   connection with a timeout set by the earliest pending lint.
//! - The same [`crate::session::Linter`] as the command line, with the settings of the configuration
//!   file that applies to the document's path. Configuration files are read again when one
//!   changes (`workspace/didChangeWatchedFiles`, registered dynamically when the client can, and
//!   `didSave` of a `.daemonlint.yaml`); an open configuration file is itself validated as typed.
//! - Positions in `utf-8` when the client offers it, else UTF-16 (the protocol's default).
//! - Files that are not DaemonSet manifests get an empty list: a file is linted for the editor
//!   when it holds a DaemonSet, or mentions `kind: DaemonSet` (so that a DaemonSet with a YAML
//!   syntax error still shows the error, while a broken Helm template or CI file stays quiet).
//! - Code actions: each fix (preferred when safe, labelled "(unsafe)" otherwise), and
//!   suppressing a finding on its line or for its whole DaemonSet. Asked for the kind
//!   `source.fixAll` (or `source.fixAll.daemonlint`), one action applies every safe fix of the
//!   document, as `daemonlint check --fix` would. Hover shows the rule's page.
//! - Helm charts and Kustomize overlays (`render.rs`): a chart's document lints the rendered
//!   chart with the open buffers (`renderDebounceMs`, 500 ms; `renderTimeoutMs`; `helmPath`), a
//!   file a kustomization uses lints its overlays on open and save (`kubectlPath`,
//!   `kustomizePath`); findings go to every file they map to.
//! - `initializationOptions: {"configFile": "PATH"}` applies that configuration file on top of
//!   the ones found from each document's path (as `--config` does).
//! - Robustness: malformed messages and parameters get error replies, unknown requests
//!   `MethodNotFound`, unknown notifications are ignored, and a panic while linting becomes an
//!   `internal-error` diagnostic on the document. Exit code 0 after `shutdown`, 1 without.
//!
//! The library does not print: messages go through the [`Connection`]; [`run`] writes them to
//! the writer it is given (the CLI's stdout).
//!
//! The files: `transport.rs` (framing over stdin/stdout), `positions.rs` (offsets to UTF-8 or
//! UTF-16 positions, URIs), `server.rs` (the message loop, document sync, linting, publishing,
//! hover), `actions.rs` (code actions: fixes, fix-all, suppressions), `render.rs` (charts and
//! overlays).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeDescription,
    DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, Hover, HoverContents, HoverParams, Location, MarkupContent,
    MarkupKind, NumberOrString, Position, PositionEncodingKind, PublishDiagnosticsParams, Range,
    TextEdit, Uri, WorkspaceEdit,
};
use serde_json::{json, Value};

use crate::config::{self, Overrides, Resolver, Settings, CONFIG_NAMES};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Severity};
use crate::findings::FileReport;
use crate::source::{LineIndex, SourceFile, Span};
use crate::{fix, manifest, rules, rules_docs, yaml};

/// How a document is linted: [`check`], or a stand-in in tests.
pub type Linter = fn(SourceFile, &Settings, &crate::policy::Cache) -> FileReport;

/// Lint a document as `check` would: a [`crate::session::Linter`] with the document's settings
/// and the server's policies.
#[must_use]
pub fn check(
    source: SourceFile,
    settings: &Settings,
    policies: &crate::policy::Cache,
) -> FileReport {
    crate::session::Linter::new(settings)
        .with_policies(policies)
        .check_source(source, None)
}

/// Server options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Quiet time after a change before the document is linted.
    pub debounce: Duration,
    pub linter: Linter,
    /// Quiet time after a change to a chart's document before the chart is rendered again
    /// (`initializationOptions: {"renderDebounceMs": N}`).
    pub render_debounce: Duration,
    /// How long `helm template` or a kustomize build may run (`renderTimeoutMs`).
    pub render_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(150),
            linter: check,
            render_debounce: Duration::from_millis(500),
            render_timeout: Duration::from_secs(30),
        }
    }
}

/// The rule id of the diagnostic published when linting a document panicked.
pub const INTERNAL_ERROR: &str = "internal-error";

/// The code action kind of "fix every safe finding of the document".
pub const FIX_ALL_KIND: &str = "source.fixAll.daemonlint";

/// The placeholder reason of suppressions added by code actions.
pub const REASON_PLACEHOLDER: &str = "TODO: reason";

const WATCHER_REGISTRATION: &str = "daemonlint-config-files";
/// Internal notification: the transport read a message it could not decode.
const MALFORMED: &str = "$/daemonlint/malformed";

mod actions;
mod positions;
mod render;
mod server;
mod transport;

pub use positions::*;
use render::Target;
pub use render::RENDER_ERROR;
pub use server::*;
pub use transport::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip_with_escapes() {
        let path = Path::new("/tmp/a dir/é.yaml");
        let uri = path_to_uri(path).expect("uri");
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/%C3%A9.yaml");
        assert_eq!(uri_to_path(uri.as_str()).as_deref(), Some(path));
        assert_eq!(
            uri_to_path("file://localhost/x/y.yaml").as_deref(),
            Some(Path::new("/x/y.yaml"))
        );
        assert_eq!(uri_to_path("untitled:Untitled-1"), None);
        assert_eq!(uri_to_path("file:///bad%zz"), None);
    }

    #[test]
    fn utf8_positions_count_bytes_and_clamp() {
        let text = "a: é\nb: 1\n";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap_or_default() as u32;
        assert_eq!(
            Encoding::Utf8.position(text, &index, b),
            Position::new(1, 0)
        );
        assert_eq!(
            Encoding::Utf8.position(text, &index, 5),
            Position::new(0, 5)
        );
        // Past the line's end clamps to the line break; inside `é` floors to its start.
        assert_eq!(Encoding::Utf8.offset(text, &index, Position::new(0, 99)), 5);
        assert_eq!(Encoding::Utf8.offset(text, &index, Position::new(0, 4)), 3);
        assert_eq!(
            Encoding::Utf8.offset(text, &index, Position::new(9, 0)),
            text.len()
        );
    }

    #[test]
    fn daemonset_mentions() {
        assert!(mentions_daemonset("kind: DaemonSet\n"));
        assert!(mentions_daemonset("{\"kind\": \"DaemonSet\"}"));
        assert!(mentions_daemonset("  kind:  'DaemonSet'\n"));
        assert!(!mentions_daemonset(
            "# a DaemonSet is nice\nkind: Deployment\n"
        ));
        assert!(!mentions_daemonset("description: DaemonSet\n"));
    }

    #[test]
    fn frames_are_read_and_bad_ones_skipped() {
        let input = b"Content-Length: 2\r\n\r\n{}garbage\r\n\r\nContent-Length: 3\r\n\r\n[1]";
        let mut reader = &input[..];
        let mut seen = Vec::new();
        loop {
            match read_frame(&mut reader) {
                Ok(Frame::Body(b)) => seen.push(String::from_utf8_lossy(&b).into_owned()),
                Ok(Frame::Bad(e)) => seen.push(format!("bad: {e}")),
                Ok(Frame::End) | Err(_) => break,
            }
        }
        assert_eq!(
            seen,
            vec![
                "{}".to_string(),
                "bad: malformed header line `garbage`".to_string(),
                "[1]".to_string()
            ]
        );
    }
}
