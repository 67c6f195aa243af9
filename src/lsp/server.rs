//! The server: initialization, the message loop, document sync with a debounce, linting with
//! the settings of each document's path, publishing diagnostics, configuration reload, hover.

use super::*;

/// An open document and the findings of its current text.
pub(super) struct Document {
    pub(super) uri: Uri,
    pub(super) path: Option<PathBuf>,
    pub(super) version: Option<i32>,
    pub(super) text: String,
    pub(super) index: LineIndex,
    /// When the pending lint is due (set by a change).
    pub(super) due: Option<Instant>,
    /// Published (active) findings of `text`.
    pub(super) findings: Vec<Diagnostic>,
    /// Linted on its own, or through a chart or overlays.
    pub(super) target: Target,
}

pub(super) struct Server {
    pub(super) connection: Connection,
    pub(super) encoding: Encoding,
    pub(super) options: Options,
    pub(super) resolver: Option<Resolver>,
    /// The policies loaded for `resolver` (loaded again after a configuration reload).
    pub(super) policies: crate::policy::Cache,
    /// `initializationOptions.configFile`: applied on top of discovered files, like `--config`.
    pub(super) config_file: Option<PathBuf>,
    pub(super) documents: HashMap<String, Document>,
    /// Configuration files on disk (not open) with published errors.
    pub(super) config_error_uris: Vec<Uri>,
    pub(super) dynamic_watchers: bool,
    pub(super) shutdown: bool,
    pub(super) next_id: i32,
    /// `initializationOptions.helmPath`, `kubectlPath`, `kustomizePath`.
    pub(super) helm: Option<PathBuf>,
    pub(super) kubectl: Option<PathBuf>,
    pub(super) kustomize: Option<PathBuf>,
    /// The workspace root (where kustomizations are looked for).
    pub(super) root: Option<PathBuf>,
    /// The URIs each chart or set of overlays last published findings to.
    pub(super) rendered_uris: HashMap<String, std::collections::BTreeSet<String>>,
    /// The kustomizations found under each root scanned (forgotten on a save or a watched
    /// file's change).
    pub(super) kustomize_trees: HashMap<PathBuf, std::sync::Arc<crate::render::kustomize::Tree>>,
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
                if let Some(ms) = params
                    .pointer("/initializationOptions/renderDebounceMs")
                    .and_then(Value::as_u64)
                {
                    options.render_debounce = Duration::from_millis(ms.min(60_000));
                }
                if let Some(ms) = params
                    .pointer("/initializationOptions/renderTimeoutMs")
                    .and_then(Value::as_u64)
                {
                    options.render_timeout = Duration::from_millis(ms.clamp(100, 600_000));
                }
                let path_option = |name: &str| {
                    params
                        .pointer(&format!("/initializationOptions/{name}"))
                        .and_then(Value::as_str)
                        .filter(|p| !p.is_empty())
                        .map(PathBuf::from)
                };
                let root = params
                    .get("rootUri")
                    .and_then(Value::as_str)
                    .or_else(|| {
                        params
                            .pointer("/workspaceFolders/0/uri")
                            .and_then(Value::as_str)
                    })
                    .and_then(uri_to_path)
                    .or_else(|| {
                        params
                            .get("rootPath")
                            .and_then(Value::as_str)
                            .map(PathBuf::from)
                    });
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
                    helm: path_option("helmPath"),
                    kubectl: path_option("kubectlPath"),
                    kustomize: path_option("kustomizePath"),
                    root,
                    rendered_uris: HashMap::new(),
                    kustomize_trees: HashMap::new(),
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

pub(super) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Whether the editor should see the findings of a file: it holds a DaemonSet, or it says
/// `kind: DaemonSet` somewhere (a DaemonSet too broken to parse).
pub(super) fn mentions_daemonset(text: &str) -> bool {
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
    pub(super) fn is_config(&self, path: Option<&Path>) -> bool {
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
        let target = self.target_of(path.as_deref());
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
                target,
            },
        );
        self.lint(&key);
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let encoding = self.encoding;
        let (debounce, render_debounce) = (self.options.debounce, self.options.render_debounce);
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
        doc.due = match doc.target {
            Target::Plain => Some(Instant::now() + debounce),
            Target::Chart(_) => Some(Instant::now() + render_debounce),
            // Kustomize reads from disk: built again on save.
            Target::Kustomize => None,
        };
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
            // A save may add the file to a kustomization, or take it out.
            self.kustomize_trees.clear();
            let target = self.target_of(path.as_deref());
            if let Some(doc) = self.documents.get_mut(key) {
                doc.target = target;
            }
            self.lint(key);
        }
    }

    fn did_close(&mut self, p: &DidCloseTextDocumentParams) {
        if let Some(doc) = self.documents.remove(p.text_document.uri.as_str()) {
            self.publish(doc.uri, Vec::new(), None);
            // The chart is rendered again without the closed buffer (the file on disk counts).
            if let Target::Chart(chart) = doc.target {
                let now = Instant::now();
                if let Some(other) = self
                    .documents
                    .values_mut()
                    .find(|d| d.target == Target::Chart(chart.clone()))
                {
                    other.due = Some(now);
                }
            }
        }
    }

    fn watched_changed(&mut self, p: &DidChangeWatchedFilesParams) {
        self.kustomize_trees.clear();
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

    pub(super) fn publish(
        &self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) {
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
        match self
            .documents
            .get(key)
            .map(|d| (d.target.clone(), d.path.clone()))
        {
            None => return,
            Some((Target::Chart(chart), _)) if !is_config => {
                self.lint_chart(&chart, key);
                self.publish_config_errors();
                return;
            }
            Some((Target::Kustomize, Some(path))) if !is_config => {
                self.lint_kustomize(&path, key);
                self.publish_config_errors();
                return;
            }
            Some(_) => {}
        }
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
    pub(super) fn flush(&mut self, uri: &Uri) {
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
}

/// The settings that apply to a document.
pub(super) fn settings_of(resolver: Option<&Resolver>, doc: &Document) -> Settings {
    resolver.map_or_else(Settings::default, |r| r.settings_for(doc.path.as_deref()))
}

/// Lint `text` as the document's contents, catching a panic as an `internal-error` finding.
pub(super) fn lint_text(
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

pub(super) fn to_lsp(encoding: Encoding, doc: &Document, d: &Diagnostic) -> lsp_types::Diagnostic {
    to_lsp_parts(encoding, &doc.uri, &doc.text, &doc.index, d)
}

pub(super) fn to_lsp_parts(
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
