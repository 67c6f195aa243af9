//! The language server on Helm charts and Kustomize overlays (issues 19 and 20, the editor):
//! a chart's values file or template lints the rendered chart with the unsaved buffers, a
//! patch lints its overlay, and the findings land on the lines the user edits. Real helm and
//! kubectl from `scripts/install-k8s-tools`.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::lsp::uri_of;
use daemonlint::lsp::Options;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);
/// Long enough after the last publication for a render (debounced 100 ms here) to be done.
const QUIET: Duration = Duration::from_millis(1500);

/// The directory with the real helm and kubectl (see `common::k8s_tools`).
fn tools() -> Option<PathBuf> {
    crate::common::k8s_tools()
}

/// The shared test client (`crate::lsp::Client`), with documents named by path.
struct Client(crate::lsp::Client);

impl std::ops::Deref for Client {
    type Target = crate::lsp::Client;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Client {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Client {
    /// A server for the workspace `root` (`None`: the client names none).
    fn start(root: Option<&Path>, init: Value) -> Self {
        let options = Options {
            render_debounce: Duration::from_millis(100),
            ..Options::default()
        };
        let (mut client, _) = crate::lsp::Client::start_with(
            options,
            json!({"capabilities": {}, "rootUri": root.map(uri_of), "initializationOptions": init}),
        );
        // Renders take longer than lints.
        client.wait = WAIT;
        Self(client)
    }

    fn open(&mut self, path: &Path) -> Value {
        let text = std::fs::read_to_string(path).unwrap();
        self.0.open(&uri_of(path), &text)
    }

    fn change(&self, path: &Path, version: i32, text: &str) {
        self.0.change(&uri_of(path), version, text);
    }

    fn shutdown(self) -> i32 {
        self.0.shutdown()
    }
}

/// `(code, start line)` of every published diagnostic, sorted.
fn codes_lines(params: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn with_code<'a>(params: &'a Value, code: &str) -> Vec<&'a Value> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

/// A temporary directory whose path has no hidden component (excluded by default).
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("daemonlint-lsp-render-")
        .tempdir()
        .unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const CHART_YAML: &str = "apiVersion: v2\nname: agent\nversion: 0.1.0\n";

const VALUES: &str = "\
image: registry.example/agent:1.2.3
securityContext:
  privileged: true
";

const TEMPLATE: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
        - name: agent
          image: {{ .Values.image }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
";

/// The findings of the chart's template (0-based lines): the spec's, the container's.
const TEMPLATE_FINDINGS: &[(&str, u64)] = &[
    ("missing-control-plane-toleration", 12),
    ("missing-liveness-probe", 14),
    ("missing-priority-class", 12),
    ("missing-resource-limits", 14),
    ("missing-resource-requests", 14),
    ("writable-root-filesystem", 16),
];

fn chart(dir: &Path) -> (PathBuf, PathBuf) {
    let chart = dir.join("agent");
    write(&chart.join("Chart.yaml"), CHART_YAML);
    write(&chart.join("values.yaml"), VALUES);
    write(&chart.join("templates/ds.yaml"), TEMPLATE);
    (chart.join("values.yaml"), chart.join("templates/ds.yaml"))
}

#[test]
fn a_values_file_gets_the_chart_findings_and_follows_the_unsaved_buffer() {
    let Some(bin) = tools() else { return };
    let dir = scratch();
    let (values, template) = chart(dir.path());
    let mut client = Client::start(Some(dir.path()), json!({"helmPath": bin.join("helm")}));

    let published = client.open(&values);
    let privileged = with_code(&published, "privileged-container");
    assert_eq!(privileged.len(), 1, "{published:#}");
    // `privileged: true` is line 3 of values.yaml.
    assert_eq!(privileged[0]["range"]["start"]["line"], 2, "{published:#}");
    // The template line that uses the value is related information, in the template's file.
    let related = privileged[0]["relatedInformation"].as_array().unwrap();
    assert!(
        related
            .iter()
            .any(|r| r["location"]["uri"] == uri_of(&template)
                && r["location"]["range"]["start"]["line"] == 17),
        "{related:#?}"
    );
    // No plain-YAML noise on a values file.
    assert!(with_code(&published, "yaml-syntax").is_empty());

    // The template document gets its findings when it is opened (findings written literally
    // there, none of the values file's).
    client.open(&template);
    let on_template = client.settled(&uri_of(&template), QUIET);
    assert_eq!(
        codes_lines(&on_template),
        TEMPLATE_FINDINGS
            .iter()
            .map(|(c, l)| ((*c).to_string(), *l))
            .collect::<Vec<_>>(),
        "{on_template:#}"
    );
    // Opening the template renders the chart again: the values file is published again too.
    let again = client.settled(&uri_of(&values), QUIET);
    assert_eq!(codes_lines(&again), codes_lines(&published));

    // Unsaved: `privileged: false` in the buffer, the file on disk unchanged.
    client.change(
        &values,
        2,
        &VALUES.replace("privileged: true", "privileged: false"),
    );
    let after = client.settled(&uri_of(&values), QUIET);
    assert!(
        with_code(&after, "privileged-container").is_empty(),
        "{after:#}"
    );
    assert_eq!(after["version"], 2);
    assert_eq!(std::fs::read_to_string(&values).unwrap(), VALUES);

    // Closing the values file renders the chart again from the file on disk: its finding is
    // back (published to the values file, which is not open any more).
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri_of(&values)}}),
    );
    let closed = client.settled(&uri_of(&values), QUIET);
    assert_eq!(
        with_code(&closed, "privileged-container").len(),
        1,
        "{closed:#}"
    );
    assert_eq!(closed["version"], Value::Null);

    // A template edit in the buffer moves a finding there (a literal `hostNetwork: true`).
    let edited = TEMPLATE.replace(
        "    spec:\n      containers:",
        "    spec:\n      hostNetwork: true\n      containers:",
    );
    client.change(&template, 2, &edited);
    let on_template = client.settled(&uri_of(&template), QUIET);
    assert_eq!(on_template["version"], 2);
    let host_network = with_code(&on_template, "host-network");
    assert_eq!(host_network.len(), 1, "{on_template:#}");
    assert_eq!(host_network[0]["range"]["start"]["line"], 13);
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn helm_missing_is_one_clear_diagnostic_and_the_server_keeps_running() {
    let dir = scratch();
    let (values, _) = chart(dir.path());
    let missing = dir.path().join("no-such-helm");
    let mut client = Client::start(Some(dir.path()), json!({"helmPath": missing}));
    let published = client.open(&values);
    let errors = with_code(&published, daemonlint::lsp::RENDER_ERROR);
    assert_eq!(codes_lines(&published).len(), 1, "{published:#}");
    assert_eq!(errors.len(), 1, "{published:#}");
    assert_eq!(errors[0]["range"]["start"]["line"], 0);
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("helm"), "{message}");
    assert!(message.contains("install"), "{message}");
    // Still serving: a plain manifest outside the chart is linted.
    let plain = dir.path().join("plain.yaml");
    write(
        &plain,
        &BASE_DS.replace(
            "    spec:\n      containers:",
            "    spec:\n      hostNetwork: true\n      containers:",
        ),
    );
    let published = client.open(&plain);
    assert_eq!(
        with_code(&published, "host-network").len(),
        1,
        "{published:#}"
    );
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn a_broken_template_is_a_render_error_at_the_line_helm_names() {
    let Some(bin) = tools() else { return };
    let dir = scratch();
    let (_, template) = chart(dir.path());
    let mut client = Client::start(Some(dir.path()), json!({"helmPath": bin.join("helm")}));
    client.open(&template);
    client.change(
        &template,
        2,
        &TEMPLATE.replace("{{ .Values.image }}", "{{ .Values.image | nosuchfunc }}"),
    );
    let published = client.diagnostics(&uri_of(&template));
    let errors = with_code(&published, daemonlint::lsp::RENDER_ERROR);
    assert_eq!(errors.len(), 1, "{published:#}");
    assert_eq!(errors[0]["range"]["start"]["line"], 15, "{published:#}");
    assert_eq!(client.shutdown(), 0);
}

const BASE_DS: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
        - name: agent
          image: registry.example/agent:1.2.3
";

const PATCH: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      containers:
        - name: agent
          securityContext:
            privileged: true
";

#[test]
fn a_patch_gets_its_overlay_findings_and_no_standalone_ones() {
    patch_gets_its_overlay_findings(true);
}

#[test]
fn without_a_workspace_root_the_overlays_near_a_patch_are_found() {
    patch_gets_its_overlay_findings(false);
}

fn patch_gets_its_overlay_findings(root_uri: bool) {
    let Some(bin) = tools() else { return };
    let dir = scratch();
    let root = dir.path().canonicalize().unwrap();
    write(
        &root.join("base/kustomization.yaml"),
        "resources:\n  - ds.yaml\n",
    );
    write(&root.join("base/ds.yaml"), BASE_DS);
    write(
        &root.join("overlays/prod/kustomization.yaml"),
        "resources:\n  - ../../base\npatches:\n  - path: patch.yaml\n",
    );
    let patch = root.join("overlays/prod/patch.yaml");
    write(&patch, PATCH);
    let mut client = Client::start(
        root_uri.then_some(root.as_path()),
        json!({"kubectlPath": bin.join("kubectl")}),
    );
    let published = client.open(&patch);
    let privileged = with_code(&published, "privileged-container");
    assert_eq!(privileged.len(), 1, "{published:#}");
    assert_eq!(privileged[0]["range"]["start"]["line"], 10, "{published:#}");
    for standalone in ["missing-selector", "io-error", "yaml-syntax"] {
        assert!(
            with_code(&published, standalone).is_empty(),
            "{standalone}: {published:#}"
        );
    }
    // The base's findings are the overlay's, on the base's lines; the kustomization has none.
    let base = client.open(&root.join("base/ds.yaml"));
    assert_eq!(
        codes_lines(&base),
        [
            ("missing-control-plane-toleration", 12),
            ("missing-liveness-probe", 14),
            ("missing-priority-class", 12),
            ("missing-resource-limits", 14),
            ("missing-resource-requests", 14),
        ]
        .iter()
        .map(|(c, l)| ((*c).to_string(), *l))
        .collect::<Vec<_>>(),
        "{base:#}"
    );
    let kustomization = client.open(&root.join("overlays/prod/kustomization.yaml"));
    assert_eq!(codes_lines(&kustomization), vec![], "{kustomization:#}");
    // Unsaved edits of a patch are not built (kustomize reads the disk): nothing is published.
    client.change(
        &patch,
        2,
        &PATCH.replace("privileged: true", "privileged: false"),
    );
    let quiet_for = Duration::from_millis(700);
    assert!(client.silent_for(quiet_for));
    // Fixed and saved: the overlay is built again and the finding goes away.
    std::fs::write(
        &patch,
        PATCH.replace("privileged: true", "privileged: false"),
    )
    .unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri_of(&patch)}}),
    );
    let after = client.settled(&uri_of(&patch), QUIET);
    assert!(
        with_code(&after, "privileged-container").is_empty(),
        "{after:#}"
    );
    let started = Instant::now();
    assert_eq!(client.shutdown(), 0);
    assert!(started.elapsed() < WAIT);
}

#[test]
fn chart_changes_wait_for_the_render_debounce() {
    let dir = scratch();
    let (values, _) = chart(dir.path());
    let missing = dir.path().join("no-such-helm");
    let mut client = Client::start(
        Some(dir.path()),
        json!({"helmPath": missing, "renderDebounceMs": 1500}),
    );
    client.open(&values);
    let changed = Instant::now();
    client.change(&values, 2, "securityContext: {}\n");
    let published = client.diagnostics(&uri_of(&values));
    assert!(
        changed.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        changed.elapsed()
    );
    assert_eq!(published["version"], 2);
    assert_eq!(
        with_code(&published, daemonlint::lsp::RENDER_ERROR).len(),
        1,
        "{published:#}"
    );
    assert_eq!(client.shutdown(), 0);
}

/// The configuration's value sets render the chart in the editor as `check` renders it: once
/// per set, with the set's files (a values file inside the chart from its unsaved buffer).
#[test]
fn the_configured_value_sets_render_the_chart_in_the_editor() {
    let Some(bin) = tools() else { return };
    let dir = scratch();
    let (values, _template) = chart(dir.path());
    let prod = dir.path().join("agent/values-prod.yaml");
    write(&prod, "securityContext:\n  privileged: false\n");
    write(
        &dir.path().join(".daemonlint.yaml"),
        "helm:\n  value-sets:\n    agent:\n      prod: [agent/values-prod.yaml]\n",
    );
    let mut client = Client::start(Some(dir.path()), json!({"helmPath": bin.join("helm")}));

    // Only the `prod` set is rendered, and it turns `privileged` off: nothing on values.yaml.
    let published = client.open(&values);
    assert!(
        with_code(&published, "privileged-container").is_empty(),
        "{published:#}"
    );
    // The set's file follows its unsaved buffer: `privileged: true` there is a finding on it.
    client.open(&prod);
    client.change(&prod, 2, "securityContext:\n  privileged: true\n");
    let on_prod = client.settled(&uri_of(&prod), QUIET);
    let privileged = with_code(&on_prod, "privileged-container");
    assert_eq!(privileged.len(), 1, "{on_prod:#}");
    assert_eq!(privileged[0]["range"]["start"]["line"], 1, "{on_prod:#}");
    assert_eq!(client.shutdown(), 0);
}
