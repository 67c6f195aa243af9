//! Fuzz the configuration-file loader (`.daemonlint.yaml`): parse and validate the text, render
//! its errors in every output format like the CLI does, or apply it and lint a manifest that
//! exercises the rule options with the resulting settings (per-path overrides included).
//!
//! Run it from the repository root (needs nightly and `cargo install cargo-fuzz`); see
//! `fuzz/README.md` for seeding the corpus.
#![no_main]

use std::path::Path;

use daemonlint::config::Settings;
use daemonlint::report::{OutputFormat, RenderOptions};
use daemonlint::source::SourceFile;
use daemonlint::{FileReport, Report};
use libfuzzer_sys::fuzz_target;

/// A manifest whose findings depend on the rule options of the configuration file.
const MANIFEST: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluent-bit
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: fluent-bit}
  updateStrategy:
    rollingUpdate: {maxUnavailable: 30%}
  template:
    metadata:
      labels: {app: fluent-bit}
    spec:
      priorityClassName: high
      tolerations: [{key: node-role.kubernetes.io/master, operator: Exists}]
      containers:
        - name: agent
          image: fluent/fluent-bit
          resources: {requests: {cpu: 10m}}
          securityContext: {privileged: true}
          volumeMounts: [{name: logs, mountPath: /var/log}]
      volumes:
        - {name: logs, hostPath: {path: /var/log}}
";

const FORMATS: [OutputFormat; 8] = [
    OutputFormat::Full,
    OutputFormat::Concise,
    OutputFormat::Json,
    OutputFormat::Sarif,
    OutputFormat::Github,
    OutputFormat::Junit,
    OutputFormat::Checkstyle,
    OutputFormat::Gitlab,
];

fn render_everything(report: &Report) {
    for format in FORMATS {
        let mut out = Vec::new();
        let options = RenderOptions {
            color: format == OutputFormat::Full,
            summary: true,
            src_root: None,
        };
        daemonlint::report::emit(format, report, options, &mut out).expect("in-memory write");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new(".daemonlint.yaml");
    match daemonlint::config::parse_layer(path, text.to_string()) {
        Err(errors) => {
            assert!(!errors.is_empty(), "a failed parse reports an error");
            let file = FileReport::findings(
                SourceFile::new(path.display().to_string(), text),
                errors.iter().map(|e| e.to_diagnostic()).collect(),
            );
            for d in &file.diagnostics {
                let _ = file.source.span_positions(d.span);
            }
            render_everything(&Report {
                files: vec![file],
                config_error: true,
                ..Report::default()
            });
        }
        Ok(layer) => {
            let mut settings = Settings::default();
            daemonlint::config::apply_layer(&mut settings, &layer);
            // Policy files would be read from disk.
            settings.policies.clear();
            for name in ["daemonset.yaml", "legacy/daemonset.yaml", "charts/a/b.yml"] {
                let _ = settings.is_included(Path::new(name));
                let _ = settings.is_excluded(Path::new(name));
                let settings = settings.for_file(Path::new(name));
                let stdin = daemonlint::Stdin {
                    name: name.into(),
                    bytes: MANIFEST.as_bytes().to_vec(),
                    settings_path: None,
                };
                let mut report = daemonlint::Linter::new(&settings).report(&daemonlint::Inputs {
                    stdin: Some(stdin),
                    ..daemonlint::Inputs::default()
                });
                let file = report.files.remove(0);
                render_everything(&Report {
                    files: vec![file],
                    ..Report::default()
                });
            }
        }
    }
});
