//! Wrong lines found by the precision check on charts and layouts the project does not hold
//! (issues 19 and 20), each reproduced with a small chart written here, never the external
//! text. The charts are written to a scratch directory (`tests/data` is linted as plain YAML).

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use daemonlint::diagnostic::Diagnostic;
use daemonlint::render::helm::{self, HelmOptions};
use daemonlint::source_map::{Origin, Precision, Sources};

fn helm_bin() -> Option<PathBuf> {
    crate::common::k8s_tools().map(|dir| dir.join("helm"))
}

fn lint(text: &str) -> Vec<Diagnostic> {
    crate::common::lint_all("rendered.yaml", text)
}

/// `file:line` of an origin, the file relative to the chart.
fn at(sources: &Sources, chart: &std::path::Path, origin: &Origin) -> String {
    let entry = sources.get(origin.source);
    let name = entry
        .name
        .strip_prefix(&format!("{}/", chart.display()))
        .unwrap_or(&entry.name)
        .to_string();
    format!("{name}:{}", entry.line_col(origin.span.start).line)
}

/// A scratch chart, removed on drop.
struct Chart(PathBuf);

impl Chart {
    fn write(tag: &str, files: &[(&str, &str)]) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "daemonlint-precision-{tag}-{}-{nanos}",
            std::process::id()
        ));
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Self(dir)
    }
}

impl Drop for Chart {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Render the chart and map every DaemonSet finding of `rule`: (primary, precision, related).
fn mapped(chart: &Chart, rule: &str) -> Option<Vec<(String, Precision, Vec<String>)>> {
    let helm = helm_bin()?;
    let options = HelmOptions {
        release: "rel".into(),
        helm: Some(helm),
        ..HelmOptions::default()
    };
    let sources = Sources::new();
    let rendered = helm::render(&chart.0, &options, &sources).expect("the chart renders");
    let text = sources.get(rendered.source).text.to_string();
    let out = lint(&text)
        .into_iter()
        .filter(|d| d.rule == rule)
        .map(|d| {
            let m = rendered.map.map_finding(d.span, d.path.as_deref(), &d.rule);
            (
                at(&sources, &chart.0, &m.primary),
                m.primary.precision,
                m.related
                    .iter()
                    .map(|r| at(&sources, &chart.0, &r.origin))
                    .collect(),
            )
        })
        .collect();
    Some(out)
}

const CHART_YAML: &str = "apiVersion: v2\nname: agent\nversion: 0.1.0\n";

/// A mount item the template writes itself, with its path from a value (csi-driver-smb's
/// kerberos cache): the fix adds `readOnly` to the template item, so the template line is the
/// primary and the values line (which only gives the path) a related place. It went to the
/// values line.
#[test]
fn a_template_mount_with_a_value_path_maps_to_the_template_item() {
    let chart = Chart::write(
        "mount",
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "cacheDir: /var/cache/agent\n"),
            (
                "templates/ds.yaml",
                r#"apiVersion: apps/v1
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
          image: example/agent:1.0
          volumeMounts:
{{- if ne .Values.cacheDir "" }}
            - mountPath: {{ .Values.cacheDir }}
              name: cache
{{- end }}
      volumes:
        - name: cache
          hostPath:
            path: {{ .Values.cacheDir }}
"#,
            ),
        ],
    );
    let Some(found) = mapped(&chart, "writable-host-path") else {
        return;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    let (primary, precision, related) = &found[0];
    assert_eq!(primary, "templates/ds.yaml:19");
    assert_eq!(*precision, Precision::Line);
    assert!(
        related.contains(&"values.yaml:1".to_string()),
        "{related:?}"
    );
}

/// A value left empty in the values, the rendered text coming from the template's `default`
/// (aws-node-termination-handler's `procUptimeFile: ""` with `default "/proc/uptime"`): the
/// path is written in the template line, so that line is the primary and the empty value a
/// related place. It went to the empty values line.
#[test]
fn a_template_default_for_an_empty_value_maps_to_the_template_line() {
    let chart = Chart::write(
        "default",
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "# the host's docker socket\nsocket: \"\"\n"),
            (
                "templates/ds.yaml",
                r#"apiVersion: apps/v1
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
          image: example/agent:1.0
          volumeMounts:
            - name: socket
              mountPath: /var/run/docker.sock
              readOnly: true
      volumes:
        - name: socket
          hostPath:
            path: {{ .Values.socket | default "/var/run/docker.sock" | quote }}
"#,
            ),
        ],
    );
    let Some(found) = mapped(&chart, "sensitive-host-path") else {
        return;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    let (primary, precision, related) = &found[0];
    assert_eq!(primary, "templates/ds.yaml:24");
    assert_eq!(*precision, Precision::Line);
    assert!(
        related.contains(&"values.yaml:2".to_string()),
        "{related:?}"
    );
}

/// A value that is set keeps its values line (the case the fix above must not change).
#[test]
fn a_set_value_with_a_template_default_stays_on_the_values_line() {
    let chart = Chart::write(
        "default-set",
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "socket: /run/containerd/containerd.sock\n"),
            (
                "templates/ds.yaml",
                r#"apiVersion: apps/v1
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
          image: example/agent:1.0
          volumeMounts:
            - name: socket
              mountPath: /run/containerd/containerd.sock
              readOnly: true
      volumes:
        - name: socket
          hostPath:
            path: {{ .Values.socket | default "/var/run/docker.sock" | quote }}
"#,
            ),
        ],
    );
    let Some(found) = mapped(&chart, "sensitive-host-path") else {
        return;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "values.yaml:1");
}

/// `resources: {{- toYaml .Values.resources | nindent 12 }}` is both the key line and the
/// line that fills it: a related place is named once (csi-driver-nfs and -smb named it twice).
#[test]
fn a_related_template_line_is_named_once() {
    let chart = Chart::write(
        "related",
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "values.yaml",
                "resources:\n  limits:\n    memory: 100Mi\n  requests:\n    cpu: 10m\n    memory: 20Mi\n",
            ),
            (
                "templates/ds.yaml",
                r#"apiVersion: apps/v1
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
          image: example/agent:1.0
          resources: {{- toYaml .Values.resources | nindent 12 }}
"#,
            ),
        ],
    );
    let Some(found) = mapped(&chart, "missing-resource-limits") else {
        return;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    let (primary, _, related) = &found[0];
    assert_eq!(primary, "values.yaml:2");
    assert_eq!(related, &["templates/ds.yaml:17".to_string()]);
}
