#![allow(clippy::unwrap_used)]
//! YAML read as Kubernetes reads it (kubectl cuts the stream at `---` lines, then go-yaml v2
//! decodes each part through sigs.k8s.io/yaml): each class of disagreement once found between
//! daemonlint and that reader (see `scripts/yaml-differential`) is held here, with the rule
//! ids, lines and messages it must give.

use daemonlint::config::Settings;
use daemonlint::source::SourceFile;
use daemonlint::yaml::{self, json, Limits};

/// A DaemonSet whose only container runs privileged, with `extra` lines inserted after
/// `metadata:` (at two spaces) and `container` lines inserted in the container (at eight).
fn daemonset(extra: &str, container: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n{extra}spec:\n  \
         selector:\n    matchLabels: {{app: agent}}\n  template:\n    metadata:\n      \
         labels: {{app: agent}}\n    spec:\n      containers:\n      - name: agent\n        \
         image: agent:1.0\n{container}        securityContext:\n          privileged: true\n"
    )
}

/// `line rule` of every finding of these rules, and the messages of `yaml-syntax` ones.
fn findings(text: &str) -> Vec<String> {
    let report = daemonlint::lint_source(SourceFile::new("t.yaml", text), &Settings::default());
    let index = daemonlint::source::LineIndex::new(text);
    report
        .diagnostics
        .iter()
        .filter(|d| {
            matches!(
                d.rule.as_ref(),
                "yaml-syntax" | "privileged-container" | "duplicate-key" | "invalid-type"
            )
        })
        .map(|d| {
            let line = index.line_col(text, d.span.start).line;
            if d.rule == "yaml-syntax" {
                format!("{line} {} {}", d.rule, d.message)
            } else {
                format!("{line} {}", d.rule)
            }
        })
        .collect()
}

/// Every document as JSON (or its error), as `read-yaml` prints them.
fn values(text: &str) -> Vec<String> {
    yaml::documents(text, Limits::default())
        .map(|d| match d {
            Ok(doc) => doc.root().map_or("null".to_string(), |root| {
                json::to_json(root, 1000).unwrap().to_string()
            }),
            Err(e) => format!("error: {}", e.message),
        })
        .collect()
}

/// The line of the `privileged: true` in `daemonset(extra, container)`.
fn privileged_line(extra: &str, container: &str) -> usize {
    16 + extra.lines().count() + container.lines().count()
}

#[test]
fn quoted_scalars_continued_at_the_key_indentation_or_less_are_read() {
    let cases = [
        // An annotation continued at its key's column.
        ("  annotations:\n    note: \"a long\n    note\"\n", ""),
        // Continued at column 0, single-quoted with an escaped quote.
        ("  annotations:\n    note: 'it''s\nlong'\n", ""),
        // Continued less indented, with a blank line (a line break in the value).
        ("  annotations:\n    note: 'one\n  two\n\n  three'\n", ""),
        // A command item continued on the next line.
        (
            "",
            "        command:\n        - \"echo start &&\n          run\"\n",
        ),
        // Continuation lines indented by tabs.
        ("  annotations:\n    note: \"a\n\t\tb\"\n", ""),
    ];
    for (extra, container) in cases {
        let text = daemonset(extra, container);
        let line = privileged_line(extra, container);
        assert_eq!(
            findings(&text),
            [format!("{line} privileged-container")],
            "{text}"
        );
    }
    let text = daemonset("  annotations:\n    note: 'one\n  two\n\n  three'\n", "");
    assert!(values(&text)[0].contains(r#""note":"one two\nthree""#));
    let text = daemonset(
        "",
        "        command:\n        - \"echo start &&\n          run\"\n",
    );
    assert!(values(&text)[0].contains(r#""command":["echo start && run"]"#));
    let text = daemonset("  annotations:\n    note: 'it''s\nlong'\n", "");
    assert!(values(&text)[0].contains(r#""note":"it's long""#));
}

#[test]
fn comments_glued_to_a_token_are_comments() {
    let extra = "  labels:\n    a: \"x\"# c\n  annotations:\n    c: |-# c\n      text\n";
    let container = "        args: [x, z]# c\n";
    let text = daemonset(extra, container);
    assert_eq!(
        findings(&text),
        [format!(
            "{} privileged-container",
            privileged_line(extra, container)
        )]
    );
    let json = &values(&text)[0];
    assert!(json.contains(r#""annotations":{"c":"text"}"#), "{json}");
    assert!(json.contains(r#""labels":{"a":"x"}"#), "{json}");
    assert!(json.contains(r#""args":["x","z"]"#), "{json}");
    // The glued comment is a comment: a suppression in it works.
    let doc = yaml::documents(&text, Limits::default())
        .next()
        .unwrap()
        .unwrap();
    let comments: Vec<&str> = doc.comments.iter().map(|c| c.text.as_ref()).collect();
    assert_eq!(comments, [" c", " c", " c"]);
}

#[test]
fn a_byte_order_mark_may_start_a_later_document() {
    let ds = daemonset("", "");
    let text =
        format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\n\u{feff}{ds}");
    let line = privileged_line("", "") + 5;
    assert_eq!(findings(&text), [format!("{line} privileged-container")]);
}

#[test]
fn an_escaped_single_quote_is_a_single_quote() {
    let extra = "  annotations:\n    note: \"it\\'s\"\n";
    let text = daemonset(extra, "");
    assert_eq!(
        findings(&text),
        [format!(
            "{} privileged-container",
            privileged_line(extra, "")
        )]
    );
    assert!(values(&text)[0].contains(r#""note":"it's""#));
}

#[test]
fn a_comment_glued_to_the_separator_still_separates() {
    let ds = daemonset("", "");
    let text =
        format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---#next\n{ds}");
    let line = privileged_line("", "") + 5;
    assert_eq!(findings(&text), [format!("{line} privileged-container")]);
    assert_eq!(values(&text).len(), 2);
}
