//! The language server: `daemonlint lsp` speaks the Language Server Protocol on stdin/stdout.
//!
//! - Full document sync. Diagnostics are published on open and save at once, and after a change
//!   once the document has been quiet for the debounce delay (150 ms; `initializationOptions:
//!   {"debounceMs": N}`). The message loop never blocks on the delay: it waits on the
//!   connection with a timeout set by the earliest pending lint.
//! - The same [`crate::session::check_with`] as the command line, with the settings of the configuration
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
//! - `initializationOptions: {"configFile": "PATH"}` applies that configuration file on top of
//!   the ones found from each document's path (as `--config` does).
//! - Robustness: malformed messages and parameters get error replies, unknown requests
//!   `MethodNotFound`, unknown notifications are ignored, and a panic while linting becomes an
//!   `internal-error` diagnostic on the document. Exit code 0 after `shutdown`, 1 without.
//!
//! The library does not print: messages go through the [`Connection`]; [`run`] writes them to
//! the writer it is given (the CLI's stdout).

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
use crate::source::{LineIndex, SourceFile, Span};
use crate::{fix, manifest, rules, rules_docs, yaml, FileReport};

/// How a document is linted: [`crate::session::check_with`], or a stand-in in tests.
pub type Linter = fn(SourceFile, &Settings, &crate::policy::Cache) -> FileReport;

/// Server options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Quiet time after a change before the document is linted.
    pub debounce: Duration,
    pub linter: Linter,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(150),
            linter: crate::session::check_with,
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

// ---------------------------------------------------------------------------------------------
// Transport.

/// Serve LSP on `input`/`output` until `exit` (or the end of the input); returns the process
/// exit code: 0 after `shutdown`, 1 otherwise. Messages are written and flushed one at a time
/// on the calling thread; the server runs on a second thread and reading on a third.
pub fn run(input: impl Read + Send + 'static, output: &mut dyn Write) -> i32 {
    let (to_server, server_rx) = crossbeam_channel::unbounded::<Message>();
    let (server_tx, from_server) = crossbeam_channel::unbounded::<Message>();
    // The reader thread is not joined: it may stay blocked on a read after `exit`.
    let spawned = std::thread::Builder::new()
        .name("daemonlint-lsp-reader".into())
        .spawn(move || read_messages(BufReader::new(input), &to_server));
    if spawned.is_err() {
        return 1;
    }
    let connection = Connection {
        sender: server_tx,
        receiver: server_rx,
    };
    std::thread::scope(|scope| {
        let server = scope.spawn(move || serve(connection, Options::default()));
        // Ends when the server returns and drops its sender.
        let mut writing = true;
        for message in &from_server {
            if writing && (message.write(&mut &mut *output).is_err() || output.flush().is_err()) {
                // The client is gone: keep draining so the server is never blocked.
                writing = false;
            }
        }
        server.join().unwrap_or(1)
    })
}

/// What one frame of the input held.
enum Frame {
    Body(Vec<u8>),
    /// A frame without a usable header; reading goes on with the next one.
    Bad(String),
    End,
}

/// The largest message accepted (a document is at most the 64 MiB file limit, JSON-escaped).
const MAX_MESSAGE: usize = 256 << 20;

fn read_frame(input: &mut impl BufRead) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad: Option<String> = None;
    let mut headers = 0usize;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input.by_ref().take(8192).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::End);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if headers == 0 {
                continue;
            }
            break;
        }
        headers += 1;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                length = value.trim().parse().ok();
                if length.is_none() {
                    bad = Some(format!("invalid Content-Length header `{text}`"));
                }
            }
            Some(_) => {}
            None => bad = Some(format!("malformed header line `{text}`")),
        }
    }
    let Some(length) = length else {
        return Ok(Frame::Bad(bad.unwrap_or_else(|| {
            "a message without a Content-Length header".into()
        })));
    };
    if length > MAX_MESSAGE {
        std::io::copy(
            &mut input.by_ref().take(length as u64),
            &mut std::io::sink(),
        )?;
        return Ok(Frame::Bad(format!(
            "a message of {length} bytes, over the {MAX_MESSAGE}-byte limit, was skipped"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Frame::Body(body))
}

/// Read framed messages and pass them on; undecodable ones become [`MALFORMED`] notifications.
fn read_messages(mut input: impl BufRead, to_server: &crossbeam_channel::Sender<Message>) {
    loop {
        let message = match read_frame(&mut input) {
            Ok(Frame::End) | Err(_) => return,
            Ok(Frame::Bad(error)) => malformed(None, error),
            Ok(Frame::Body(body)) => match serde_json::from_slice::<Message>(&body) {
                Ok(message) => message,
                Err(e) => {
                    let id = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v.get("id").cloned())
                        .and_then(|id| serde_json::from_value::<RequestId>(id).ok());
                    malformed(id, format!("cannot decode a message: {e}"))
                }
            },
        };
        let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
        if to_server.send(message).is_err() || exit {
            return;
        }
    }
}

fn malformed(id: Option<RequestId>, error: String) -> Message {
    Message::Notification(Notification::new(
        MALFORMED.into(),
        json!({ "id": id, "error": error }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Positions.

/// The negotiated position encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16,
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl Encoding {
    fn position(self, text: &str, index: &LineIndex, offset: u32) -> Position {
        match self {
            Self::Utf16 => {
                let (line, character) = index.utf16_position(text, offset);
                Position { line, character }
            }
            Self::Utf8 => {
                let offset = floor_boundary(text, offset as usize);
                let line = index.line_of(u32::try_from(offset).unwrap_or(u32::MAX));
                let start = index.line_start(line) as usize;
                Position {
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    character: u32::try_from(offset.saturating_sub(start)).unwrap_or(u32::MAX),
                }
            }
        }
    }

    /// The byte offset of a position; positions past a line's end clamp to it.
    fn offset(self, text: &str, index: &LineIndex, position: Position) -> usize {
        match self {
            Self::Utf16 => index.offset_of_utf16(text, position.line, position.character),
            Self::Utf8 => {
                let line = position.line as usize;
                if line >= index.line_count() {
                    return text.len();
                }
                let start = index.line_start(line) as usize;
                let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                floor_boundary(text, (start + position.character as usize).min(end))
            }
        }
    }

    fn range(self, text: &str, index: &LineIndex, span: Span) -> Range {
        Range {
            start: self.position(text, index, span.start),
            end: self.position(text, index, span.end),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// URIs.

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The local path of a `file:` URI.
#[must_use]
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri
        .strip_prefix("file://")
        .or_else(|| uri.strip_prefix("FILE://"))?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = percent_decode(rest)?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        let text = String::from_utf8(bytes).ok()?;
        let text = match text.as_bytes() {
            [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => text[1..].to_string(),
            _ => text,
        };
        Some(PathBuf::from(text))
    }
}

/// The `file:` URI of a path (made absolute against the working directory).
#[must_use]
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

fn is_config_file(path: Option<&Path>) -> bool {
    path.and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_NAMES.contains(&n))
}

// ---------------------------------------------------------------------------------------------
// The server.

/// An open document and the findings of its current text.
struct Document {
    uri: Uri,
    path: Option<PathBuf>,
    version: Option<i32>,
    text: String,
    index: LineIndex,
    /// When the pending lint is due (set by a change).
    due: Option<Instant>,
    /// Published (active) findings of `text`.
    findings: Vec<Diagnostic>,
}

struct Server {
    connection: Connection,
    encoding: Encoding,
    options: Options,
    resolver: Option<Resolver>,
    /// The policies loaded for `resolver` (loaded again after a configuration reload).
    policies: crate::policy::Cache,
    /// `initializationOptions.configFile`: applied on top of discovered files, like `--config`.
    config_file: Option<PathBuf>,
    documents: HashMap<String, Document>,
    /// Configuration files on disk (not open) with published errors.
    config_error_uris: Vec<Uri>,
    dynamic_watchers: bool,
    shutdown: bool,
    next_id: i32,
}

/// Configuration discovery from each document's path, with the configuration file given by
/// the client on top. Without one nothing is read up front, so this does not fail; when the
/// given file cannot be read or is invalid, discovery alone applies and the errors are returned.
fn new_resolver(config_file: Option<&Path>) -> (Option<Resolver>, Vec<config::ConfigError>) {
    match Resolver::new(Overrides::default(), config_file, false) {
        Ok(resolver) => (Some(resolver), Vec::new()),
        Err(errors) => (
            Resolver::new(Overrides::default(), None, false).ok(),
            errors,
        ),
    }
}

/// Serve one client on `connection` until `exit`; returns the exit code (0 after `shutdown`).
#[must_use]
pub fn serve(connection: Connection, options: Options) -> i32 {
    let Some(mut server) = initialize(connection, options) else {
        return 1;
    };
    server.main_loop()
}

fn send(connection: &Connection, message: impl Into<Message>) {
    // A closed connection means the client is gone; the loop ends on the next receive.
    let _ = connection.sender.send(message.into());
}

fn error_response(id: RequestId, code: ErrorCode, message: impl Into<String>) -> Response {
    Response::new_err(id, code as i32, message.into())
}

/// Wait for `initialize`, answer it, and build the server.
fn initialize(connection: Connection, mut options: Options) -> Option<Server> {
    loop {
        let message = connection.receiver.recv().ok()?;
        match message {
            Message::Request(req) if req.method == "initialize" => {
                let params = &req.params;
                let offered = params
                    .pointer("/capabilities/general/positionEncodings")
                    .and_then(Value::as_array);
                let encoding = if offered
                    .is_some_and(|list| list.iter().any(|e| e.as_str() == Some("utf-8")))
                {
                    Encoding::Utf8
                } else {
                    Encoding::Utf16
                };
                let dynamic_watchers = params
                    .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if let Some(ms) = params
                    .pointer("/initializationOptions/debounceMs")
                    .and_then(Value::as_u64)
                {
                    options.debounce = Duration::from_millis(ms.min(10_000));
                }
                let config_file = params
                    .pointer("/initializationOptions/configFile")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from);
                let result = json!({
                    "capabilities": {
                        "positionEncoding": match encoding {
                            Encoding::Utf8 => PositionEncodingKind::UTF8,
                            Encoding::Utf16 => PositionEncodingKind::UTF16,
                        },
                        "textDocumentSync": {
                            "openClose": true,
                            "change": 1,
                            "save": { "includeText": false },
                        },
                        "codeActionProvider": {
                            "codeActionKinds": [CodeActionKind::QUICKFIX, FIX_ALL_KIND],
                        },
                        "hoverProvider": true,
                    },
                    "serverInfo": { "name": "daemonlint", "version": env!("CARGO_PKG_VERSION") },
                });
                send(&connection, Response::new_ok(req.id, result));
                let (resolver, errors) = new_resolver(config_file.as_deref());
                let server = Server {
                    connection,
                    encoding,
                    options,
                    resolver,
                    policies: crate::policy::Cache::default(),
                    config_file,
                    documents: HashMap::new(),
                    config_error_uris: Vec::new(),
                    dynamic_watchers,
                    shutdown: false,
                    next_id: 1,
                };
                server.report_config_file_errors(&errors);
                return Some(server);
            }
            Message::Request(req) => send(
                &connection,
                error_response(
                    req.id,
                    ErrorCode::ServerNotInitialized,
                    "the server is not initialized yet",
                ),
            ),
            Message::Notification(n) if n.method == "exit" => return None,
            Message::Notification(n) if n.method == MALFORMED => {
                if let Some(id) = malformed_id(&n.params) {
                    send(
                        &connection,
                        error_response(id, ErrorCode::InvalidRequest, malformed_text(&n.params)),
                    );
                }
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

fn malformed_id(params: &Value) -> Option<RequestId> {
    params
        .get("id")
        .cloned()
        .and_then(|id| serde_json::from_value(id).ok())
}

fn malformed_text(params: &Value) -> String {
    params
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("malformed message")
        .to_string()
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Whether the editor should see the findings of a file: it holds a DaemonSet, or it says
/// `kind: DaemonSet` somewhere (a DaemonSet too broken to parse).
fn mentions_daemonset(text: &str) -> bool {
    text.match_indices("DaemonSet").any(|(at, _)| {
        let before = text[..at].trim_end_matches(['"', '\'']).trim_end();
        let Some(before) = before.strip_suffix(':') else {
            return false;
        };
        let before = before.trim_end().trim_end_matches(['"', '\'']);
        before.ends_with("kind")
    })
}

impl Server {
    fn main_loop(&mut self) -> i32 {
        loop {
            let due = self.documents.values().filter_map(|d| d.due).min();
            let received = match due {
                Some(due) => {
                    let wait = due.saturating_duration_since(Instant::now());
                    match self.connection.receiver.recv_timeout(wait) {
                        Ok(message) => Some(message),
                        Err(e) if e.is_timeout() => None,
                        Err(_) => return self.exit_code(),
                    }
                }
                None => match self.connection.receiver.recv() {
                    Ok(message) => Some(message),
                    Err(_) => return self.exit_code(),
                },
            };
            match received {
                Some(Message::Request(req)) => self.on_request(req),
                Some(Message::Notification(n)) if n.method == "exit" => return self.exit_code(),
                Some(Message::Notification(n)) => {
                    let method = n.method.clone();
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.on_notification(n)))
                    {
                        self.log(&format!("failed on `{method}`: {}", panic_text(&*payload)));
                    }
                }
                Some(Message::Response(resp)) => {
                    if let Err(error) = resp.response_result {
                        self.log(&format!(
                            "the client refused request {}: {}",
                            resp.id, error.message
                        ));
                    }
                }
                None => {}
            }
            self.lint_due();
        }
    }

    fn exit_code(&self) -> i32 {
        if self.shutdown {
            0
        } else {
            1
        }
    }

    fn log(&self, message: &str) {
        send(
            &self.connection,
            Notification::new(
                "window/logMessage".into(),
                json!({ "type": 3, "message": format!("daemonlint: {message}") }),
            ),
        );
    }

    /// Tell the user that the configuration file they set cannot be used.
    fn report_config_file_errors(&self, errors: &[config::ConfigError]) {
        let Some(first) = errors.first() else {
            return;
        };
        let line = first.source.line_index().line_of(first.span.start) + 1;
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" (and {} more errors)", n - 1),
        };
        send(
            &self.connection,
            Notification::new(
                "window/showMessage".into(),
                json!({ "type": 1, "message": format!(
                    "daemonlint: the configuration file {} is not used: line {line}: {}{more}",
                    first.source.name, first.message
                )}),
            ),
        );
    }

    /// Whether `path` is a configuration file: by its name, or the one the client gave.
    fn is_config(&self, path: Option<&Path>) -> bool {
        is_config_file(path) || (path.is_some() && path == self.config_file.as_deref())
    }

    fn lint_due(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .documents
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.lint(&key);
        }
    }

    fn on_request(&mut self, req: Request) {
        if req.method == "shutdown" {
            self.shutdown = true;
            send(&self.connection, Response::new_ok(req.id, ()));
            return;
        }
        if self.shutdown {
            send(
                &self.connection,
                error_response(
                    req.id,
                    ErrorCode::InvalidRequest,
                    "the server is shutting down",
                ),
            );
            return;
        }
        let id = req.id.clone();
        let method = req.method.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.handle_request(req)));
        let response = match outcome {
            Ok(Ok(Some(result))) => Response::new_ok(id, result),
            Ok(Ok(None)) => error_response(
                id,
                ErrorCode::MethodNotFound,
                format!("unknown method `{method}`"),
            ),
            Ok(Err(message)) => error_response(id, ErrorCode::InvalidParams, message),
            Err(payload) => error_response(
                id,
                ErrorCode::InternalError,
                format!("daemonlint failed on `{method}`: {}", panic_text(&*payload)),
            ),
        };
        send(&self.connection, response);
    }

    /// `Ok(None)`: unknown method; `Err`: invalid parameters.
    fn handle_request(&mut self, req: Request) -> Result<Option<Value>, String> {
        fn params<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, String> {
            serde_json::from_value(req.params.clone())
                .map_err(|e| format!("invalid parameters for `{}`: {e}", req.method))
        }
        let result = match req.method.as_str() {
            "textDocument/codeAction" => {
                let p: CodeActionParams = params(&req)?;
                serde_json::to_value(self.code_actions(&p))
            }
            "textDocument/hover" => {
                let p: HoverParams = params(&req)?;
                serde_json::to_value(self.hover(&p))
            }
            "initialize" => return Err("the server is already initialized".into()),
            _ => return Ok(None),
        };
        result.map(Some).map_err(|e| e.to_string())
    }

    fn on_notification(&mut self, n: Notification) {
        fn params<T: serde::de::DeserializeOwned>(n: &Notification) -> Result<T, String> {
            serde_json::from_value(n.params.clone())
                .map_err(|e| format!("ignored `{}` with invalid parameters: {e}", n.method))
        }
        let outcome = match n.method.as_str() {
            "initialized" => {
                self.register_watchers();
                Ok(())
            }
            "textDocument/didOpen" => params(&n).map(|p| self.did_open(p)),
            "textDocument/didChange" => params(&n).map(|p| self.did_change(p)),
            "textDocument/didSave" => params(&n).map(|p| self.did_save(&p)),
            "textDocument/didClose" => params(&n).map(|p| self.did_close(&p)),
            "workspace/didChangeWatchedFiles" => params(&n).map(|p| self.watched_changed(&p)),
            MALFORMED => {
                match malformed_id(&n.params) {
                    Some(id) => send(
                        &self.connection,
                        error_response(id, ErrorCode::InvalidRequest, malformed_text(&n.params)),
                    ),
                    None => self.log(&malformed_text(&n.params)),
                }
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(message) = outcome {
            self.log(&message);
        }
    }

    fn register_watchers(&mut self) {
        if !self.dynamic_watchers {
            return;
        }
        let globs: Vec<Value> = CONFIG_NAMES
            .iter()
            .map(|name| json!({ "globPattern": format!("**/{name}") }))
            .collect();
        let id = self.next_id;
        self.next_id += 1;
        let request = Request::new(
            RequestId::from(format!("daemonlint-{id}")),
            "client/registerCapability".into(),
            json!({ "registrations": [{
                "id": WATCHER_REGISTRATION,
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": { "watchers": globs },
            }]}),
        );
        send(&self.connection, request);
    }

    fn did_open(&mut self, p: DidOpenTextDocumentParams) {
        let doc = p.text_document;
        let key = doc.uri.as_str().to_string();
        let path = uri_to_path(doc.uri.as_str());
        self.documents.insert(
            key.clone(),
            Document {
                index: LineIndex::new(&doc.text),
                uri: doc.uri,
                path,
                version: Some(doc.version),
                text: doc.text,
                due: None,
                findings: Vec::new(),
            },
        );
        self.lint(&key);
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let encoding = self.encoding;
        let debounce = self.options.debounce;
        let Some(doc) = self.documents.get_mut(p.text_document.uri.as_str()) else {
            return;
        };
        for change in p.content_changes {
            match change.range {
                None => doc.text = change.text,
                // Incremental changes, from clients that ignore the sync kind.
                Some(range) => {
                    let start = encoding.offset(&doc.text, &doc.index, range.start);
                    let end = encoding.offset(&doc.text, &doc.index, range.end).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
            }
            doc.index = LineIndex::new(&doc.text);
        }
        doc.version = Some(p.text_document.version);
        doc.due = Some(Instant::now() + debounce);
    }

    fn did_save(&mut self, p: &DidSaveTextDocumentParams) {
        let key = p.text_document.uri.as_str();
        let path = uri_to_path(key);
        if let (Some(text), Some(doc)) = (&p.text, self.documents.get_mut(key)) {
            if *text != doc.text {
                doc.text.clone_from(text);
                doc.index = LineIndex::new(&doc.text);
            }
        }
        if self.is_config(path.as_deref()) {
            self.reload_config();
        } else if self.documents.contains_key(key) {
            self.lint(key);
        }
    }

    fn did_close(&mut self, p: &DidCloseTextDocumentParams) {
        if let Some(doc) = self.documents.remove(p.text_document.uri.as_str()) {
            self.publish(doc.uri, Vec::new(), None);
        }
    }

    fn watched_changed(&mut self, p: &DidChangeWatchedFilesParams) {
        if p.changes
            .iter()
            .any(|c| self.is_config(uri_to_path(c.uri.as_str()).as_deref()))
        {
            self.reload_config();
        }
    }

    /// Forget every configuration file read, and lint every open document again.
    fn reload_config(&mut self) {
        let (resolver, errors) = new_resolver(self.config_file.as_deref());
        self.resolver = resolver;
        self.policies = crate::policy::Cache::default();
        self.report_config_file_errors(&errors);
        for uri in std::mem::take(&mut self.config_error_uris) {
            if !self.documents.contains_key(uri.as_str()) {
                self.publish(uri, Vec::new(), None);
            }
        }
        let keys: Vec<String> = self.documents.keys().cloned().collect();
        for key in keys {
            self.lint(&key);
        }
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        send(
            &self.connection,
            Notification::new("textDocument/publishDiagnostics".into(), params),
        );
    }

    /// Lint a document now and publish its findings.
    fn lint(&mut self, key: &str) {
        let is_config = self
            .documents
            .get(key)
            .is_some_and(|doc| self.is_config(doc.path.as_deref()));
        let Some(doc) = self.documents.get_mut(key) else {
            return;
        };
        doc.due = None;
        let findings = if is_config {
            let path = doc.path.clone().unwrap_or_default();
            match config::parse_layer(&path, doc.text.clone()) {
                Ok(_) => Vec::new(),
                Err(errors) => errors
                    .iter()
                    .map(config::ConfigError::to_diagnostic)
                    .collect(),
            }
        } else {
            let settings = settings_of(self.resolver.as_ref(), doc);
            let excluded = doc.path.as_deref().is_some_and(|p| settings.is_excluded(p));
            if excluded {
                Vec::new()
            } else {
                lint_text(&self.options, doc, &doc.text, &settings, &self.policies)
            }
        };
        doc.findings = findings;
        let encoding = self.encoding;
        let diagnostics = doc
            .findings
            .iter()
            .map(|d| to_lsp(encoding, doc, d))
            .collect();
        let (uri, version) = (doc.uri.clone(), doc.version);
        self.publish(uri, diagnostics, version);
        self.publish_config_errors();
    }

    /// Errors in configuration files found on disk while resolving settings, shown on those
    /// files (an open one is validated from its buffer instead).
    fn publish_config_errors(&mut self) {
        let mut by_file: BTreeMap<String, Vec<config::ConfigError>> = BTreeMap::new();
        let errors = self
            .resolver
            .as_ref()
            .map(Resolver::take_errors)
            .unwrap_or_default();
        for e in errors {
            by_file.entry(e.source.name.clone()).or_default().push(e);
        }
        for (name, errors) in by_file {
            let Some(uri) = path_to_uri(Path::new(&name)) else {
                continue;
            };
            if self.documents.contains_key(uri.as_str()) {
                continue;
            }
            let source = &errors[0].source;
            let index = source.line_index();
            let diagnostics = errors
                .iter()
                .map(|e| {
                    let d = e.to_diagnostic();
                    to_lsp_parts(self.encoding, &uri, &source.text, index, &d)
                })
                .collect();
            self.config_error_uris.push(uri.clone());
            self.publish(uri, diagnostics, None);
        }
    }

    /// Lint a document now if a change is pending, so answers match its current text.
    fn flush(&mut self, uri: &Uri) {
        if self
            .documents
            .get(uri.as_str())
            .is_some_and(|d| d.due.is_some())
        {
            self.lint(uri.as_str());
        }
    }

    fn hover(&mut self, p: &HoverParams) -> Option<Hover> {
        let uri = &p.text_document_position_params.text_document.uri;
        self.flush(uri);
        let doc = self.documents.get(uri.as_str())?;
        let at = self.encoding.offset(
            &doc.text,
            &doc.index,
            p.text_document_position_params.position,
        );
        let at = u32::try_from(at).ok()?;
        let hits: Vec<&Diagnostic> = doc
            .findings
            .iter()
            .filter(|d| (d.span.start <= at && at < d.span.end) || d.span.start == at)
            .collect();
        let first = hits.first()?;
        let mut pages: Vec<&str> = Vec::new();
        for d in &hits {
            if let Some(body) = rules_docs::body(&d.rule) {
                if !pages.contains(&body) {
                    pages.push(body);
                }
            }
        }
        if pages.is_empty() {
            return None;
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: pages.join("\n---\n\n"),
            }),
            range: Some(self.encoding.range(&doc.text, &doc.index, first.span)),
        })
    }

    /// One action applying every safe fix of the document, repeated (at most four passes) while
    /// fixes that overlapped an earlier one become applicable: the text `daemonlint check
    /// --fix` would write. Its edit replaces the span between the first and last changed byte.
    fn fix_all(&self, uri: &Uri) -> Option<CodeActionOrCommand> {
        let doc = self.documents.get(uri.as_str())?;
        if self.is_config(doc.path.as_deref()) {
            return None;
        }
        let settings = settings_of(self.resolver.as_ref(), doc);
        let passes = fix::apply_until_stable(&doc.text, &doc.findings, false, |text| {
            lint_text(&self.options, doc, text, &settings, &self.policies)
        });
        let (text, applied) = (passes.text, passes.applied);
        if applied == 0 || text == doc.text {
            return None;
        }
        let (old, new) = (doc.text.as_str(), text.as_str());
        let mut prefix = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let mut suffix = old[prefix..]
            .bytes()
            .rev()
            .zip(new[prefix..].bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix)
        {
            suffix -= 1;
        }
        let edit = TextEdit {
            range: self
                .encoding
                .range(old, &doc.index, Span::new(prefix, old.len() - suffix)),
            new_text: new[prefix..new.len() - suffix].to_string(),
        };
        let title = match applied {
            1 => "Fix 1 safe daemonlint finding".to_string(),
            n => format!("Fix {n} safe daemonlint findings"),
        };
        Some(CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(doc.uri.clone(), vec![edit])])),
                ..WorkspaceEdit::default()
            }),
            ..CodeAction::default()
        }))
    }

    fn code_actions(&mut self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        // A requested kind covers its sub-kinds: `source` asks for `source.fixAll.daemonlint`.
        let covers = |k: &CodeActionKind, kind: &str| {
            let k = k.as_str();
            k.is_empty() || kind == k || kind.strip_prefix(k).is_some_and(|r| r.starts_with('.'))
        };
        let only = p.context.only.as_ref();
        let wants_quickfix = only.is_none_or(|only| only.iter().any(|k| covers(k, "quickfix")));
        // Source actions only when asked for, as editors ask for them (on save, from a command).
        let wants_fix_all = only.is_some_and(|only| only.iter().any(|k| covers(k, FIX_ALL_KIND)));
        self.flush(&p.text_document.uri);
        let mut actions = Vec::new();
        if wants_fix_all {
            actions.extend(self.fix_all(&p.text_document.uri));
        }
        if !wants_quickfix {
            return actions;
        }
        let Some(doc) = self.documents.get(p.text_document.uri.as_str()) else {
            return Vec::new();
        };
        let encoding = self.encoding;
        let start = encoding.offset(&doc.text, &doc.index, p.range.start);
        let end = encoding
            .offset(&doc.text, &doc.index, p.range.end)
            .max(start);
        let (start, end) = (
            u32::try_from(start).unwrap_or(u32::MAX),
            u32::try_from(end).unwrap_or(u32::MAX),
        );
        let hits: Vec<&Diagnostic> = doc
            .findings
            .iter()
            .filter(|d| d.span.start <= end && start <= d.span.end)
            .collect();
        let action = |title: String, d: &Diagnostic, edits: &[Edit], preferred: bool| {
            let edits = edits
                .iter()
                .map(|e| TextEdit {
                    range: encoding.range(&doc.text, &doc.index, e.span),
                    new_text: e.replacement.clone(),
                })
                .collect();
            CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(encoding, doc, d)]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(doc.uri.clone(), edits)])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            })
        };
        for d in &hits {
            if let Some(f) = &d.fix {
                let safe = f.applicability == Applicability::Safe;
                let title = if safe {
                    f.description.clone()
                } else {
                    format!("{} (unsafe)", f.description)
                };
                actions.push(action(title, d, &f.edits, safe));
            }
        }
        for d in &hits {
            if let Some(edit) = suppress_on_line(&doc.text, &doc.index, d) {
                let title = format!("Suppress {} on this line", d.rule);
                actions.push(action(title, d, &[edit], false));
            }
            if let Some(edit) = suppress_for_daemonset(&doc.text, d) {
                let title = format!("Suppress {} for this DaemonSet", d.rule);
                actions.push(action(title, d, &[edit], false));
            }
        }
        actions
    }
}

/// The settings that apply to a document.
fn settings_of(resolver: Option<&Resolver>, doc: &Document) -> Settings {
    resolver.map_or_else(Settings::default, |r| r.settings_for(doc.path.as_deref()))
}

/// Lint `text` as the document's contents, catching a panic as an `internal-error` finding.
fn lint_text(
    options: &Options,
    doc: &Document,
    text: &str,
    settings: &Settings,
    policies: &crate::policy::Cache,
) -> Vec<Diagnostic> {
    if text.len() as u64 > settings.max_file_size {
        if !mentions_daemonset(text) {
            return Vec::new();
        }
        return vec![Diagnostic::new(
            rules::YAML_SYNTAX.id,
            Severity::Error,
            Span::empty(0),
            format!(
                "the file is {} bytes, over the {}-byte limit; daemonlint does not read it",
                text.len(),
                settings.max_file_size
            ),
        )];
    }
    let name = doc
        .path
        .as_ref()
        .map_or_else(|| doc.uri.as_str().to_string(), |p| p.display().to_string());
    let source = SourceFile::new(name, text.to_string());
    let linter = options.linter;
    match catch_unwind(AssertUnwindSafe(|| linter(source, settings, policies))) {
        Ok(report) => {
            if report.stats.daemonsets == 0 && !mentions_daemonset(text) {
                return Vec::new();
            }
            report
                .diagnostics
                .into_iter()
                .filter(|d| d.suppressed.is_none())
                .collect()
        }
        Err(payload) => vec![Diagnostic::new(
            INTERNAL_ERROR,
            Severity::Error,
            Span::empty(0),
            format!(
                "daemonlint crashed while linting this file ({}); the findings are unavailable. \
                 Please report this with the file's contents",
                panic_text(&*payload)
            ),
        )],
    }
}

fn to_lsp(encoding: Encoding, doc: &Document, d: &Diagnostic) -> lsp_types::Diagnostic {
    to_lsp_parts(encoding, &doc.uri, &doc.text, &doc.index, d)
}

fn to_lsp_parts(
    encoding: Encoding,
    uri: &Uri,
    text: &str,
    index: &LineIndex,
    d: &Diagnostic,
) -> lsp_types::Diagnostic {
    let severity = match d.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    let code_description = rules::find(&d.rule)
        .and_then(|_| Uri::from_str(&d.docs_url()).ok())
        .map(|href| CodeDescription { href });
    let related = d
        .labels
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: encoding.range(text, index, l.span),
            },
            message: l.message.clone(),
        })
        .collect::<Vec<_>>();
    lsp_types::Diagnostic {
        range: encoding.range(text, index, d.span),
        severity: Some(severity),
        code: Some(NumberOrString::String(d.rule.to_string())),
        code_description,
        source: Some("daemonlint".into()),
        message: match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        },
        related_information: (!related.is_empty()).then_some(related),
        tags: (d.rule == rules::UNUSED_SUPPRESSION.id).then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: None,
    }
}

/// Findings that a suppression comment silences: the DaemonSet rules and `invalid-daemonset`
/// (not syntax errors, which come before suppressions, nor the suppression rules themselves).
fn suppressible_by_comment(rule: &str) -> bool {
    rule == rules::INVALID_DAEMONSET.id || suppressible_by_annotation(rule)
}

fn suppressible_by_annotation(rule: &str) -> bool {
    rules::RULES.iter().any(|r| r.meta.id == rule)
}

/// `# daemonlint: ignore[<rule>] TODO: reason` on its own line above the finding, indented
/// like that line.
fn suppress_on_line(text: &str, index: &LineIndex, d: &Diagnostic) -> Option<Edit> {
    if !suppressible_by_comment(&d.rule) {
        return None;
    }
    let line = index.line_of(d.span.start);
    let start = index.line_start(line) as usize;
    let rest = text.get(start..)?;
    let indent = &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()];
    Some(Edit {
        span: Span::empty(start),
        replacement: format!(
            "{indent}# daemonlint: ignore[{}] {REASON_PLACEHOLDER}{}",
            d.rule,
            fix::newline_at(text, start)
        ),
    })
}

/// Add the rule to the `daemonlint.io/ignore` annotation of the DaemonSet holding the finding.
fn suppress_for_daemonset(text: &str, d: &Diagnostic) -> Option<Edit> {
    if !suppressible_by_annotation(&d.rule) {
        return None;
    }
    let annotation = "daemonlint.io/ignore";
    let doc = yaml::documents(text, yaml::Limits::default())
        .nth(d.document)?
        .ok()?;
    let objects = manifest::objects(&doc);
    let object = objects.iter().find(|o| {
        let span = o.node.own_span();
        o.kind == "DaemonSet" && span.start <= d.span.start && d.span.end <= span.end
    })?;
    let metadata = object.metadata()?;
    let value = format!("\"{}: {REASON_PLACEHOLDER}\"", d.rule);
    let Some(annotations) = metadata.get("annotations") else {
        return fix::insert_mapping_entry(text, metadata, "annotations", annotation, &value);
    };
    if !annotations.is_mapping() {
        return None;
    }
    let Some(existing) = annotations.get(annotation) else {
        return fix::insert_entry(text, annotations, annotation, &value);
    };
    if existing.via_alias() || existing.scalar_text().is_none() {
        return None;
    }
    let span = existing.own_span();
    let raw = text.get(span.range())?;
    if let Some(colon) = raw.find(':') {
        // `a, b: reason` → `a, b, <rule>: reason`
        let at = span.start as usize + raw[..colon].trim_end().len();
        return Some(Edit {
            span: Span::empty(at),
            replacement: format!(", {}", d.rule),
        });
    }
    // No reason yet: add the rule and the placeholder reason.
    let quoted = raw.len() >= 2
        && (raw.starts_with('"') && raw.ends_with('"')
            || raw.starts_with('\'') && raw.ends_with('\''));
    if quoted {
        let at = span.end as usize - 1;
        Some(Edit {
            span: Span::empty(at),
            replacement: format!(", {}: {REASON_PLACEHOLDER}", d.rule),
        })
    } else if existing.is_plain_scalar() {
        Some(Edit {
            span,
            replacement: format!("\"{}, {}: {REASON_PLACEHOLDER}\"", raw.trim(), d.rule),
        })
    } else {
        None
    }
}

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
