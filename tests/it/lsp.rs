//! The language server driven in-process over `lsp_server::Connection::memory()`: exact
//! ranges, codes, edits and protocol behaviour.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use daemonlint::lsp::{self, Options};
use daemonlint::source::LineIndex;
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

/// A response, as `result` or `error`.
struct Reply {
    result: Option<Value>,
    error: Option<lsp_server::ResponseError>,
}

impl From<Response> for Reply {
    fn from(r: Response) -> Self {
        match r.response_result {
            Ok(v) => Self {
                result: Some(v),
                error: None,
            },
            Err(e) => Self {
                result: None,
                error: Some(e),
            },
        }
    }
}

/// An in-process language server and its client end (also driven by `lsp_render`).
pub(crate) struct Client {
    conn: Connection,
    server: JoinHandle<i32>,
    next_id: i32,
    /// Messages received while waiting for another one.
    pending: Vec<Message>,
    /// How long to wait for a message the test expects.
    pub(crate) wait: Duration,
}

/// Rules added after these tests were written; ignoring them keeps each test's expectations
/// about the server's mechanics rather than the rule catalogue.
const LATER_RULES: &[&str] = &[
    "missing-priority-class",
    "host-network-dns-policy",
    "missing-liveness-probe",
    "writable-root-filesystem",
    "privilege-escalation",
    "image-tag-latest",
    "sensitive-host-path",
    "unknown-field",
    "invalid-type",
    "missing-field",
    "invalid-value",
    "yaml-1-1-ambiguity",
];

fn first_rules(
    source: daemonlint::source::SourceFile,
    settings: &daemonlint::config::Settings,
    _: &daemonlint::policy::Cache,
) -> daemonlint::FileReport {
    let mut settings = settings.clone();
    for id in LATER_RULES {
        settings
            .selection
            .ignore
            .push(daemonlint::config::Selector::Rule((*id).to_string()));
    }
    daemonlint::Linter::new(&settings).check_source(source, None)
}

fn test_options() -> Options {
    Options {
        linter: first_rules,
        ..Options::default()
    }
}

impl Client {
    fn start(params: Value) -> (Self, Value) {
        Self::start_with(test_options(), params)
    }

    pub(crate) fn start_with(options: Options, params: Value) -> (Self, Value) {
        let (server, conn) = Connection::memory();
        let server = std::thread::spawn(move || lsp::serve(server, options));
        let mut client = Self {
            conn,
            server,
            next_id: 1,
            pending: Vec::new(),
            wait: WAIT,
        };
        let response = client.request("initialize", params);
        let result = response.result.expect("initialize result");
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn recv(&mut self) -> Message {
        self.conn
            .receiver
            .recv_timeout(self.wait)
            .expect("a message from the server")
    }

    fn request(&mut self, method: &str, params: Value) -> Reply {
        let id = RequestId::from(self.next_id);
        self.next_id += 1;
        self.conn
            .sender
            .send(Request::new(id.clone(), method.into(), params).into())
            .unwrap();
        self.response(&id)
    }

    fn response(&mut self, id: &RequestId) -> Reply {
        loop {
            match self.recv() {
                Message::Response(r) if r.id == *id => return r.into(),
                other => self.pending.push(other),
            }
        }
    }

    pub(crate) fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.into(), params).into())
            .unwrap();
    }

    /// The next `publishDiagnostics` for `uri` (its params).
    pub(crate) fn diagnostics(&mut self, uri: &str) -> Value {
        let matches = |m: &Message| {
            matches!(m, Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri)
        };
        if let Some(i) = self.pending.iter().position(matches) {
            if let Message::Notification(n) = self.pending.remove(i) {
                return n.params;
            }
        }
        loop {
            let m = self.recv();
            if matches(&m) {
                if let Message::Notification(n) = m {
                    return n.params;
                }
            }
            self.pending.push(m);
        }
    }

    /// Wait until the server has been quiet for `quiet`, then the latest `publishDiagnostics`
    /// of `uri` received so far (earlier ones are dropped).
    pub(crate) fn settled(&mut self, uri: &str, quiet: Duration) -> Value {
        while let Ok(m) = self.conn.receiver.recv_timeout(quiet) {
            self.pending.push(m);
        }
        let is_for = |m: &Message| {
            matches!(m, Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri)
        };
        let last = self
            .pending
            .iter()
            .rposition(is_for)
            .expect("a publication");
        let Message::Notification(n) = self.pending.remove(last) else {
            unreachable!()
        };
        self.pending.retain(|m| !is_for(m));
        n.params
    }

    /// Whether no message at all arrives within `within`.
    pub(crate) fn silent_for(&self, within: Duration) -> bool {
        self.conn.receiver.recv_timeout(within).is_err()
    }

    /// Whether a `publishDiagnostics` for `uri` arrives within `within`.
    fn published_within(&mut self, uri: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.conn.receiver.recv_timeout(left) {
                Ok(Message::Notification(n))
                    if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri =>
                {
                    return true
                }
                Ok(other) => self.pending.push(other),
                Err(_) => return false,
            }
        }
    }

    pub(crate) fn open(&mut self, uri: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
        self.diagnostics(uri)
    }

    pub(crate) fn change(&self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    fn finish(self) -> i32 {
        self.server.join().expect("server thread")
    }

    pub(crate) fn shutdown(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r.result, Some(Value::Null));
        self.notify("exit", Value::Null);
        self.finish()
    }
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/lsp")
        .join(name)
}

pub(crate) fn uri_of(path: &Path) -> String {
    lsp::path_to_uri(path).unwrap().as_str().to_string()
}

fn agent() -> (String, String) {
    let path = data("agent.yaml");
    (uri_of(&path), std::fs::read_to_string(&path).unwrap())
}

fn range(sl: u32, sc: u32, el: u32, ec: u32) -> Value {
    json!({"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}})
}

/// `(code, range)` of every published diagnostic.
fn codes_and_ranges(params: &Value) -> Vec<(String, Value)> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["range"].clone()))
        .collect()
}

fn utf16_caps() -> Value {
    json!({"capabilities": {}})
}

fn utf8_caps() -> Value {
    json!({"capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}})
}

/// Apply UTF-16 `TextEdit`s to a text.
fn apply_edits(text: &str, edits: &Value) -> String {
    let index = LineIndex::new(text);
    let mut spans: Vec<(usize, usize, String)> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let at = |p: &Value| {
                index.offset_of_utf16(
                    text,
                    p["line"].as_u64().unwrap() as u32,
                    p["character"].as_u64().unwrap() as u32,
                )
            };
            (
                at(&e["range"]["start"]),
                at(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|(s, e, _)| std::cmp::Reverse((*s, *e)));
    let mut out = text.to_string();
    for (s, e, new) in spans {
        out.replace_range(s..e, &new);
    }
    out
}

fn code_actions(client: &mut Client, uri: &str, r: Value) -> Vec<Value> {
    let resp = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": r, "context": {"diagnostics": []}}),
    );
    resp.result.unwrap().as_array().unwrap().clone()
}

#[test]
fn utf16_by_default_with_exact_diagnostics_on_open() {
    let (mut client, init) = Client::start(utf16_caps());
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 1);
    assert_eq!(init["serverInfo"]["name"], "daemonlint");
    let (uri, text) = agent();
    let published = client.open(&uri, &text);
    assert_eq!(published["version"], 1);
    // Line 20 holds `é😀` before `privileged: true`: `é` is 1 UTF-16 unit, `😀` 2, so the
    // finding at character 71 starts at unit 72 (and at byte 75).
    assert_eq!(
        codes_and_ranges(&published),
        vec![
            ("aggressive-max-unavailable".into(), range(10, 22, 10, 26)),
            ("host-network".into(), range(15, 19, 15, 23)),
            // The container's name `"é😀"` is no DNS label: 5 UTF-16 units.
            ("invalid-name".into(), range(19, 17, 19, 22)),
            ("privileged-container".into(), range(19, 72, 19, 76)),
            ("writable-host-path".into(), range(24, 14, 25, 33)),
        ]
    );
    assert_eq!(
        published["diagnostics"][4],
        json!({
            "range": range(24, 14, 25, 33),
            "severity": 2,
            "code": "writable-host-path",
            "codeDescription": {
                "href": "https://github.com/daemonlint/daemonlint/blob/main/rules/writable-host-path.md"
            },
            "source": "daemonlint",
            "message": "container `logs` mounts host path `/var/log` (volume `varlog`) without `readOnly: true`: a compromised or buggy agent can change that path on every node\nhelp: add `readOnly: true` to the volumeMount unless the agent must write there; if it must, suppress this finding with a reason",
            "relatedInformation": [{
                "location": {"uri": uri, "range": range(27, 10, 28, 36)},
                "message": "the hostPath volume is defined here"
            }]
        })
    );
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn utf8_is_negotiated_when_offered() {
    let (mut client, init) = Client::start(utf8_caps());
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let (uri, text) = agent();
    let published = client.open(&uri, &text);
    assert_eq!(
        codes_and_ranges(&published)[2],
        ("invalid-name".into(), range(19, 17, 19, 25))
    );
    assert_eq!(
        codes_and_ranges(&published)[3],
        ("privileged-container".into(), range(19, 75, 19, 79))
    );
    // Positions in requests are bytes too: byte 76 is inside `true`.
    let actions = code_actions(&mut client, &uri, range(19, 76, 19, 76));
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![
            "Suppress privileged-container on this line",
            "Suppress privileged-container for this DaemonSet"
        ]
    );
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 19, "character": 76}}),
    );
    assert_eq!(hover.result.unwrap()["range"], range(19, 75, 19, 79));
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn code_actions_fix_and_suppress_with_exact_edits() {
    let (mut client, _) = Client::start(utf16_caps());
    let (uri, text) = agent();
    client.open(&uri, &text);

    // A safe fix, preferred, then the two suppressions.
    let actions = code_actions(&mut client, &uri, range(10, 24, 10, 24));
    assert_eq!(actions.len(), 3, "{actions:#?}");
    assert_eq!(actions[0]["title"], "set `maxUnavailable: 1`");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(
        actions[0]["diagnostics"][0]["code"],
        "aggressive-max-unavailable"
    );
    assert_eq!(
        actions[0]["edit"],
        json!({"changes": {uri.as_str(): [{"range": range(10, 22, 10, 26), "newText": "1"}]}})
    );
    assert_eq!(
        actions[1]["title"],
        "Suppress aggressive-max-unavailable on this line"
    );
    assert_eq!(actions[1]["isPreferred"], false);
    assert_eq!(
        actions[1]["edit"]["changes"][uri.as_str()],
        json!([{"range": range(10, 0, 10, 0),
                "newText": "      # daemonlint: ignore[aggressive-max-unavailable] TODO: reason\n"}])
    );
    assert_eq!(
        actions[2]["title"],
        "Suppress aggressive-max-unavailable for this DaemonSet"
    );
    assert_eq!(
        actions[2]["edit"]["changes"][uri.as_str()],
        json!([{"range": range(4, 22, 4, 22),
                "newText": "\n  annotations:\n    daemonlint.io/ignore: \"aggressive-max-unavailable: TODO: reason\""}])
    );

    // An unsafe fix is labelled and not preferred; its edit is in UTF-16 too.
    let actions = code_actions(&mut client, &uri, range(25, 0, 25, 0));
    assert_eq!(
        actions[0]["title"],
        "mount it with `readOnly: true` (unsafe)"
    );
    assert_eq!(actions[0]["isPreferred"], false);
    assert_eq!(
        actions[0]["edit"]["changes"][uri.as_str()],
        json!([{"range": range(25, 33, 25, 33), "newText": "\n              readOnly: true"}])
    );

    // Applying each suppression silences the finding and leaves no suppression finding.
    let mut version = 1;
    for (i, rule) in [
        (1, "aggressive-max-unavailable"),
        (2, "aggressive-max-unavailable"),
    ] {
        let actions = code_actions(&mut client, &uri, range(10, 24, 10, 24));
        let edited = apply_edits(&text, &actions[i]["edit"]["changes"][uri.as_str()]);
        version += 1;
        client.change(&uri, version, &edited);
        let published = client.diagnostics(&uri);
        assert_eq!(published["version"], version);
        let codes: Vec<String> = codes_and_ranges(&published)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(
            codes,
            vec![
                "host-network",
                "invalid-name",
                "privileged-container",
                "writable-host-path"
            ],
            "after applying action {i} for {rule}:\n{edited}"
        );
        client.change(&uri, version + 1, &text);
        version += 1;
        client.diagnostics(&uri);
    }
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn suppress_for_daemonset_extends_an_existing_annotation() {
    let (mut client, _) = Client::start(utf16_caps());
    let uri = "file:///nowhere/annotated.yaml";
    let text = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: a\n  annotations:\n    daemonlint.io/ignore: 'host-ipc: the agent reads shared memory'\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      hostIPC: true\n      hostPID: true\n      tolerations: [{operator: Exists}]\n      containers: [{name: a, image: a, resources: {requests: {cpu: 1m, memory: 1Mi}, limits: {cpu: 1m, memory: 1Mi}}}]\n";
    let published = client.open(uri, text);
    assert_eq!(
        codes_and_ranges(&published),
        vec![("host-pid".into(), range(12, 15, 12, 19))]
    );
    let actions = code_actions(&mut client, uri, range(12, 15, 12, 15));
    assert_eq!(actions[1]["title"], "Suppress host-pid for this DaemonSet");
    let edits = &actions[1]["edit"]["changes"][uri];
    assert_eq!(
        edits,
        &json!([{"range": range(5, 35, 5, 35), "newText": ", host-pid"}])
    );
    let edited = apply_edits(text, edits);
    assert!(edited.contains("'host-ipc, host-pid: the agent reads shared memory'"));
    client.change(uri, 2, &edited);
    assert_eq!(client.diagnostics(uri)["diagnostics"], json!([]));
    assert_eq!(client.shutdown(), 0);
}

/// `maxUnavailable: 100%` after `"é😀"` on the same line (0-based line 9).
fn agent_with_non_ascii_before_a_fix() -> (String, String) {
    let (_, text) = agent();
    let text = text.replace(
        "    rollingUpdate:\n      maxUnavailable: 100%\n",
        "    rollingUpdate: {\"é😀\": 0, maxUnavailable: 100%}\n",
    );
    ("file:///nowhere/non-ascii.yaml".into(), text)
}

#[test]
fn fix_edits_follow_the_negotiated_encoding() {
    // `100%` is at characters 45..49: UTF-16 units 46..50 (😀 is two), bytes 49..53.
    for (caps, start, end) in [(utf16_caps(), 46, 50), (utf8_caps(), 49, 53)] {
        let (mut client, _) = Client::start(caps);
        let (uri, text) = agent_with_non_ascii_before_a_fix();
        let published = client.open(&uri, &text);
        assert_eq!(
            codes_and_ranges(&published)[0],
            ("aggressive-max-unavailable".into(), range(9, start, 9, end))
        );
        let actions = code_actions(&mut client, &uri, range(9, start, 9, start));
        assert_eq!(
            actions[0]["edit"]["changes"][uri.as_str()],
            json!([{"range": range(9, start, 9, end), "newText": "1"}])
        );
        assert_eq!(client.shutdown(), 0);
    }
}

#[test]
fn incremental_changes_are_applied_too() {
    let (mut client, _) = Client::start(utf16_caps());
    let (uri, text) = agent_with_non_ascii_before_a_fix();
    client.open(&uri, &text);
    // Clients that ignore the full-sync capability send ranges: replace `100%` by `1`.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": range(9, 46, 9, 50), "text": "1"}]}),
    );
    let codes: Vec<String> = codes_and_ranges(&client.diagnostics(&uri))
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(
        codes,
        vec![
            "host-network",
            "invalid-name",
            "privileged-container",
            "writable-host-path"
        ]
    );
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn hover_shows_the_rule_page() {
    let (mut client, _) = Client::start(utf16_caps());
    let (uri, text) = agent();
    client.open(&uri, &text);
    let hover = |client: &mut Client, line: u32, character: u32| {
        client
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
            )
            .result
            .unwrap()
    };
    let h = hover(&mut client, 15, 21);
    assert_eq!(
        h,
        json!({
            "contents": {
                "kind": "markdown",
                "value": daemonlint::rules_docs::body("host-network").unwrap()
            },
            "range": range(15, 19, 15, 23)
        })
    );
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .starts_with("# host-network"));
    // Outside every finding: no hover.
    assert_eq!(hover(&mut client, 0, 0), Value::Null);
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn changes_are_debounced_without_blocking_the_loop() {
    // A long delay, so that a loaded machine cannot make the checks below race it.
    let debounce = Duration::from_millis(1000);
    let (mut client, _) = Client::start(json!({"capabilities": {},
        "initializationOptions": {"debounceMs": 1000}}));
    let (uri, text) = agent();
    assert_eq!(
        client.open(&uri, &text)["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let clean = text.replace("hostNetwork: true", "hostNetwork: false");
    for version in 2..=3 {
        client.change(&uri, version, &clean);
        std::thread::sleep(Duration::from_millis(20));
    }
    let last_change = Instant::now();
    client.change(&uri, 4, &clean);
    // The loop answers while the lint waits.
    let r = client.request("daemonlint/unknown", json!({}));
    assert_eq!(r.error.unwrap().code, -32601);
    assert!(last_change.elapsed() < debounce);
    let published = client.diagnostics(&uri);
    let waited = last_change.elapsed();
    assert!(waited >= debounce, "{waited:?}");
    assert_eq!(published["version"], 4);
    assert_eq!(published["diagnostics"].as_array().unwrap().len(), 4);
    // One lint for the three changes.
    assert!(!client.published_within(&uri, Duration::from_millis(500)));
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn documents_without_daemonsets_get_no_noise() {
    let (mut client, _) = Client::start(utf16_caps());
    // A Helm template: not YAML, and no DaemonSet.
    let uri = "file:///nowhere/templates/configmap.yaml";
    let published = client.open(
        uri,
        "kind: ConfigMap\ndata: {{ .Values.x | toYaml }}\n  - :\n",
    );
    assert_eq!(published["diagnostics"], json!([]));
    // A DaemonSet with a syntax error is reported.
    let uri = "file:///nowhere/broken.yaml";
    let published = client.open(
        uri,
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: a\n   bad: indent\n",
    );
    let diags = codes_and_ranges(&published);
    assert_eq!(diags.len(), 1, "{published:#}");
    assert_eq!(diags[0].0, "yaml-syntax");
    assert_eq!(published["diagnostics"][0]["severity"], 1);
    // Closing clears.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(client.diagnostics(uri)["diagnostics"], json!([]));
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn unused_suppressions_are_tagged_unnecessary() {
    let (mut client, _) = Client::start(utf16_caps());
    let uri = "file:///nowhere/unused.yaml";
    let text = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      # daemonlint: ignore[host-pid] the agent inspects processes\n      tolerations: [{operator: Exists}]\n      containers: [{name: a, image: a, resources: {requests: {cpu: 1m, memory: 1Mi}, limits: {cpu: 1m, memory: 1Mi}}}]\n";
    let published = client.open(uri, text);
    let d = &published["diagnostics"][0];
    assert_eq!(d["code"], "unused-suppression");
    assert_eq!(d["tags"], json!([1]));
    assert_eq!(d["range"], range(8, 27, 8, 35));
    // No suppress actions for a suppression finding.
    assert_eq!(
        code_actions(&mut client, uri, range(8, 27, 8, 27)),
        Vec::<Value>::new()
    );
    assert_eq!(client.shutdown(), 0);
}

fn panicking_linter(
    _: daemonlint::source::SourceFile,
    _: &daemonlint::config::Settings,
    _: &daemonlint::policy::Cache,
) -> daemonlint::FileReport {
    panic!("rule exploded")
}

#[test]
fn a_panicking_lint_becomes_a_diagnostic_and_the_server_stays_up() {
    let options = Options {
        linter: panicking_linter,
        ..Options::default()
    };
    let (mut client, _) = Client::start_with(options, utf16_caps());
    let (uri, text) = agent();
    let published = client.open(&uri, &text);
    assert_eq!(
        published["diagnostics"],
        json!([{
            "range": range(0, 0, 0, 0),
            "severity": 1,
            "code": "internal-error",
            "source": "daemonlint",
            "message": "daemonlint crashed while linting this file (rule exploded); the findings are unavailable. Please report this with the file's contents"
        }])
    );
    client.change(&uri, 2, &text);
    assert_eq!(client.diagnostics(&uri)["version"], 2);
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn malformed_requests_and_unknown_methods_get_errors() {
    let (mut client, _) = Client::start(utf16_caps());
    let r = client.request("textDocument/hover", json!(42));
    let e = r.error.unwrap();
    assert_eq!(e.code, -32602);
    assert!(e
        .message
        .starts_with("invalid parameters for `textDocument/hover`"));
    assert_eq!(
        client
            .request("workspace/symbol", json!({"query": ""}))
            .error
            .unwrap()
            .code,
        -32601
    );
    assert_eq!(
        client
            .request("initialize", json!({"capabilities": {}}))
            .error
            .unwrap()
            .code,
        -32602
    );
    // Unknown and malformed notifications are ignored.
    client.notify("$/unknownThing", json!({}));
    client.notify("textDocument/didOpen", json!({"nope": true}));
    // Actions and hover on a document that is not open are empty.
    assert_eq!(
        code_actions(&mut client, "file:///nowhere/x.yaml", range(0, 0, 0, 0)),
        Vec::<Value>::new()
    );
    let r = client.request("shutdown", Value::Null);
    assert_eq!(r.result, Some(Value::Null));
    let r = client.request("textDocument/hover", json!({}));
    assert_eq!(r.error.unwrap().code, -32600);
    client.notify("exit", Value::Null);
    assert_eq!(client.finish(), 0);
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let (client, _) = Client::start(utf16_caps());
    client.notify("exit", Value::Null);
    assert_eq!(client.finish(), 1);
}

#[test]
fn requests_before_initialize_are_refused() {
    let (server, conn) = Connection::memory();
    let handle = std::thread::spawn(move || lsp::serve(server, test_options()));
    conn.sender
        .send(Request::new(1.into(), "textDocument/hover".into(), json!({})).into())
        .unwrap();
    match conn.receiver.recv_timeout(WAIT).unwrap() {
        Message::Response(r) => assert_eq!(Reply::from(r).error.unwrap().code, -32002),
        other => panic!("{other:?}"),
    }
    conn.sender
        .send(Notification::new("exit".into(), Value::Null).into())
        .unwrap();
    assert_eq!(handle.join().unwrap(), 1);
}

#[test]
fn configuration_files_apply_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".daemonlint.yaml");
    std::fs::write(&config, "ignore: [host-network, privileged-container]\n").unwrap();
    let doc = dir.path().join("agent.yaml");
    let (_, text) = agent();
    std::fs::write(&doc, &text).unwrap();
    let uri = uri_of(&doc);
    let (mut client, _) = Client::start(json!({"capabilities": {
        "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}}));
    // The watcher is registered dynamically after `initialized`.
    let registration = loop {
        match client.recv() {
            Message::Request(r) if r.method == "client/registerCapability" => break r,
            other => client.pending.push(other),
        }
    };
    assert_eq!(
        registration.params,
        json!({"registrations": [{
            "id": "daemonlint-config-files",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": {"watchers": [
                {"globPattern": "**/.daemonlint.yaml"},
                {"globPattern": "**/.daemonlint.yml"}
            ]}
        }]})
    );
    client
        .conn
        .sender
        .send(Response::new_ok(registration.id, Value::Null).into())
        .unwrap();
    let codes =
        |p: &Value| -> Vec<String> { codes_and_ranges(p).into_iter().map(|(c, _)| c).collect() };
    let published = client.open(&uri, &text);
    assert_eq!(
        codes(&published),
        vec![
            "aggressive-max-unavailable",
            "invalid-name",
            "writable-host-path"
        ]
    );

    // The file changes on disk: the watcher's notification re-lints open documents.
    std::fs::write(&config, "ignore: [host-network]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri_of(&config), "type": 2}]}),
    );
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        vec![
            "aggressive-max-unavailable",
            "invalid-name",
            "privileged-container",
            "writable-host-path"
        ]
    );

    // Saving the configuration file in the editor does the same; while open, it is
    // validated from the buffer.
    let config_uri = uri_of(&config);
    let published = client.open(&config_uri, "ignore: [host-netwrk]\n");
    assert_eq!(codes(&published), vec!["invalid-config"]);
    assert_eq!(published["diagnostics"][0]["range"], range(0, 9, 0, 20));
    std::fs::write(&config, "select: [host-network]\n").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": config_uri}, "text": "select: [host-network]\n"}),
    );
    assert_eq!(codes(&client.diagnostics(&uri)), vec!["host-network"]);
    assert_eq!(client.shutdown(), 0);
}

/// Frames for the stdio transport.
fn frame(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

#[test]
fn the_stdio_transport_survives_malformed_messages() {
    let mut input = String::new();
    input.push_str(&frame(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
    ));
    input.push_str(&frame(
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    ));
    input.push_str(&frame(
        r#"{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":"#,
    ));
    input.push_str("X-Garbage\r\n\r\n");
    input.push_str(&frame(r#"{"jsonrpc":"2.0","id":8,"method":42}"#));
    input.push_str(&frame(r#"{"jsonrpc":"2.0","id":9,"method":"shutdown"}"#));
    input.push_str(&frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
    let mut output = Vec::new();
    let code = lsp::run(std::io::Cursor::new(input.into_bytes()), &mut output);
    assert_eq!(code, 0);
    let mut reader = &output[..];
    let mut messages = Vec::new();
    while let Some(m) = Message::read(&mut reader).unwrap() {
        messages.push(serde_json::to_value(&m).unwrap());
    }
    let ids: Vec<(Value, Value)> = messages
        .iter()
        .filter(|m| m.get("id").is_some())
        .map(|m| (m["id"].clone(), m["error"]["code"].clone()))
        .collect();
    assert_eq!(
        ids,
        vec![
            (json!(1), Value::Null),
            (json!(8), json!(-32600)),
            (json!(9), Value::Null)
        ]
    );
    let logs: Vec<&str> = messages
        .iter()
        .filter(|m| m["method"] == "window/logMessage")
        .map(|m| m["params"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert!(
        logs[0].starts_with("daemonlint: cannot decode a message: "),
        "{logs:?}"
    );
    assert_eq!(logs[1], "daemonlint: malformed header line `X-Garbage`");
}

/// A 200-line manifest: a DaemonSet with many containers.
fn manifest_200_lines() -> String {
    let mut text = String::from(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: big\nspec:\n  selector:\n    matchLabels: {app: big}\n  template:\n    metadata:\n      labels: {app: big}\n    spec:\n      hostNetwork: true\n      containers:\n",
    );
    let mut i = 0;
    while text.lines().count() < 193 {
        text.push_str(&format!(
            "        - name: c{i}\n          image: registry.example.com/c:{i}\n          resources:\n            requests: {{cpu: 10m, memory: 16Mi}}\n          volumeMounts:\n            - {{name: logs, mountPath: /var/log}}\n"
        ));
        i += 1;
    }
    text.push_str(
        "      volumes:\n        - name: logs\n          hostPath:\n            path: /var/log\n",
    );
    while text.lines().count() < 200 {
        text.push_str("# padding\n");
    }
    text
}

#[test]
fn latency_from_did_change_to_publish() {
    let text = manifest_200_lines();
    assert_eq!(text.lines().count(), 200);
    let measure = |debounce_ms: u64| -> Duration {
        let (mut client, _) = Client::start(json!({"capabilities": {},
            "initializationOptions": {"debounceMs": debounce_ms}}));
        let uri = "file:///nowhere/big.yaml";
        let first = client.open(uri, &text);
        assert!(first["diagnostics"].as_array().unwrap().len() > 60);
        let mut times = Vec::new();
        for version in 2..12 {
            let edited = text.replace("c:0", &format!("c:{version}"));
            let start = Instant::now();
            client.change(uri, version, &edited);
            let published = client.diagnostics(uri);
            times.push(start.elapsed());
            assert_eq!(published["version"], version);
        }
        assert_eq!(client.shutdown(), 0);
        times.sort();
        times[times.len() / 2]
    };
    let lint = measure(0);
    let debounced = measure(150);
    eprintln!(
        "LATENCY didChange -> publishDiagnostics, 200-line manifest (median of 10): {:.2} ms without debounce, {:.2} ms with the 150 ms debounce",
        lint.as_secs_f64() * 1e3,
        debounced.as_secs_f64() * 1e3
    );
    assert!(debounced >= Duration::from_millis(150));
    assert!(lint < Duration::from_secs(2), "{lint:?}");
}

/// A DaemonSet with three safe fixes and a finding without one, after non-ASCII text.
const FIXABLE: &str = "# agent — é😀
apiVersion: apps/v1beta2
kind: DaemonSet
metadata:
  name: agent
  labels: {app: agent}
spec:
  selector:
    matchLabels: {app: agent}
  updateStrategy:
    rollingUpdate:
      maxUnavailable: 100%
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - name: agent
          image: \"agent:1\"
          securityContext: {privileged: true}
";

/// What `daemonlint check --fix` writes for `text`.
fn fixed_by_the_cli(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.yaml");
    std::fs::write(&path, text).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_daemonlint"))
        .args(["check", "--isolated", "--fix"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "privileged-container remains");
    std::fs::read_to_string(&path).unwrap()
}

fn fix_all_actions(client: &mut Client, uri: &str, only: Value) -> Vec<Value> {
    let resp = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": range(0, 0, 0, 0),
               "context": {"diagnostics": [], "only": only}}),
    );
    resp.result.unwrap().as_array().unwrap().clone()
}

#[test]
fn fix_all_applies_every_safe_fix_as_the_cli_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.yaml");
    std::fs::write(&path, FIXABLE).unwrap();
    let uri = uri_of(&path);
    let (mut client, init) = Client::start_with(Options::default(), utf16_caps());
    assert_eq!(
        init["capabilities"]["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.fixAll.daemonlint"])
    );
    client.open(&uri, FIXABLE);

    let expected = fixed_by_the_cli(FIXABLE);
    assert_ne!(expected, FIXABLE);
    for only in [
        json!(["source.fixAll"]),
        json!(["source"]),
        json!(["source.fixAll.daemonlint"]),
    ] {
        let actions = fix_all_actions(&mut client, &uri, only.clone());
        assert_eq!(actions.len(), 1, "{only}: {actions:#?}");
        assert_eq!(actions[0]["kind"], "source.fixAll.daemonlint");
        assert_eq!(actions[0]["title"], "Fix 3 safe daemonlint findings");
        let edits = &actions[0]["edit"]["changes"][uri.as_str()];
        assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
        // One edit from the first changed line (after the UTF-16 text) to the last.
        assert_eq!(
            edits[0]["range"]["start"],
            json!({"line": 1, "character": 19})
        );
        assert_eq!(apply_edits(FIXABLE, edits), expected, "{only}");
    }
    // Neither quick fixes nor a request without `only` get it; other source kinds neither.
    for only in [json!(["quickfix"]), json!(["source.organizeImports"])] {
        let actions = fix_all_actions(&mut client, &uri, only.clone());
        assert!(
            actions.iter().all(|a| a["kind"] == "quickfix"),
            "{only}: {actions:#?}"
        );
    }
    let actions = code_actions(&mut client, &uri, range(0, 0, 20, 0));
    assert!(actions.iter().all(|a| a["kind"] == "quickfix"));

    // Once fixed, nothing is left to fix: no action.
    client.change(&uri, 2, &expected);
    let actions = fix_all_actions(&mut client, &uri, json!(["source.fixAll"]));
    assert_eq!(actions, Vec::<Value>::new());
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn the_configuration_file_option_applies_and_a_bad_one_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("agent.yaml");
    let (_, text) = agent();
    std::fs::write(&doc, &text).unwrap();
    let uri = uri_of(&doc);
    let config = dir.path().join("team-rules.yaml");
    std::fs::write(&config, "ignore: [host-network, privileged-container]\n").unwrap();
    let codes =
        |p: &Value| -> Vec<String> { codes_and_ranges(p).into_iter().map(|(c, _)| c).collect() };

    let (mut client, _) = Client::start(json!({"capabilities": {},
        "initializationOptions": {"configFile": config.to_str().unwrap()}}));
    assert_eq!(
        codes(&client.open(&uri, &text)),
        vec![
            "aggressive-max-unavailable",
            "invalid-name",
            "writable-host-path"
        ]
    );
    // Saving it (whatever its name) reloads it.
    std::fs::write(&config, "ignore: [host-network]\n").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri_of(&config)}}),
    );
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        vec![
            "aggressive-max-unavailable",
            "invalid-name",
            "privileged-container",
            "writable-host-path"
        ]
    );
    assert_eq!(client.shutdown(), 0);

    // An invalid file is reported to the user, and discovery alone applies.
    std::fs::write(&config, "ignore: [host-netwrk]\n").unwrap();
    let (mut client, _) = Client::start(json!({"capabilities": {},
        "initializationOptions": {"configFile": config.to_str().unwrap()}}));
    let message = loop {
        match client.recv() {
            Message::Notification(n) if n.method == "window/showMessage" => break n.params,
            other => client.pending.push(other),
        }
    };
    assert_eq!(message["type"], 1);
    let text_of = message["message"].as_str().unwrap();
    assert!(
        text_of.starts_with(&format!(
            "daemonlint: the configuration file {} is not used: line 1: ",
            config.display()
        )) && text_of.contains("host-netwrk"),
        "{text_of}"
    );
    assert_eq!(
        codes(&client.open(&uri, &text)),
        vec![
            "aggressive-max-unavailable",
            "host-network",
            "invalid-name",
            "privileged-container",
            "writable-host-path"
        ]
    );
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn the_binary_accepts_stdio_as_clients_pass_it() {
    use std::io::Write as _;
    let mut input = String::new();
    input.push_str(&frame(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
    ));
    input.push_str(&frame(r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#));
    input.push_str(&frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
    let run = |args: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_daemonlint"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A server that refuses its arguments exits before reading: the pipe may be closed.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        child.wait_with_output().unwrap()
    };
    for args in [&["lsp"][..], &["lsp", "--stdio"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let mut reader = &out.stdout[..];
        let first = Message::read(&mut reader).unwrap().unwrap();
        let Message::Response(r) = first else {
            panic!("{first:?}")
        };
        assert_eq!(
            r.response_result.unwrap()["serverInfo"]["name"],
            "daemonlint"
        );
    }
    // Other flags are still usage errors.
    let out = run(&["lsp", "--socket"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_configured_baseline_hides_findings_in_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("agent.yaml");
    let (_, text) = agent();
    std::fs::write(&doc, &text).unwrap();
    // The baseline of today's findings, as `--write-baseline` records them.
    let report = daemonlint::Linter::new(&daemonlint::config::Settings::default())
        .report(&daemonlint::Inputs::paths(std::slice::from_ref(&doc)));
    assert!(report.active().any(|(_, d)| d.rule == "writable-host-path"));
    let (baseline, _) = daemonlint::suppress_stage::write(&report, dir.path());
    std::fs::write(dir.path().join("baseline.json"), baseline).unwrap();
    std::fs::write(
        dir.path().join(".daemonlint.yaml"),
        "baseline: baseline.json\n",
    )
    .unwrap();
    let uri = uri_of(&doc);
    let (mut client, _) = Client::start(json!({"capabilities": {}}));
    let published = client.open(&uri, &text);
    assert_eq!(codes_and_ranges(&published), Vec::<(String, Value)>::new());
    // A new finding shows; the baselined ones stay hidden.
    let edited = text.replacen(
        "hostNetwork: true",
        "hostNetwork: true\n      hostPID: true",
        1,
    );
    assert_ne!(edited, text);
    client.change(&uri, 2, &edited);
    let codes: Vec<String> = codes_and_ranges(&client.diagnostics(&uri))
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(codes, ["host-pid"]);
    assert_eq!(client.shutdown(), 0);
}
