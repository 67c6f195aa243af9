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
    let report = daemonlint::Linter::new(&Settings::default())
        .check_source(SourceFile::new("t.yaml", text), None);
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

/// A DaemonSet whose container's `securityContext` holds `security` (lines at ten spaces),
/// with `top` lines at the top of the document.
fn with_security(top: &str, security: &str) -> String {
    format!(
        "{top}apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  \
         selector:\n    matchLabels: {{app: agent}}\n  template:\n    metadata:\n      \
         labels: {{app: agent}}\n    spec:\n      containers:\n      - name: agent\n        \
         image: agent:1.0\n        securityContext:\n{security}"
    )
}

#[test]
fn a_repeated_key_applies_its_last_value() {
    let text = with_security(
        "",
        "          privileged: false\n          privileged: true\n",
    );
    assert_eq!(
        findings(&text),
        ["17 duplicate-key", "17 privileged-container"]
    );
    let report = daemonlint::Linter::new(&Settings::default())
        .check_source(SourceFile::new("t.yaml", text), None);
    let dup = report
        .diagnostics
        .iter()
        .find(|d| d.rule == "duplicate-key")
        .unwrap();
    assert_eq!(
        dup.message,
        "the key `privileged` appears twice in this mapping: strict field validation \
         (kubectl's default) rejects the document, and tools that accept it apply the last \
         value (as daemonlint reads it)"
    );
    assert_eq!(dup.labels.len(), 1);
    let text = with_security(
        "",
        "          privileged: true\n          privileged: false\n",
    );
    assert_eq!(findings(&text), ["17 duplicate-key"]);
}

#[test]
fn a_merge_key_applies_where_it_stands() {
    // The anchor sits on an extra top-level key (`unknown-field`, not checked here).
    let top = "x-defaults: &sc {privileged: true}\n";
    // go-yaml v2 applies the merge after `privileged: false`: the container is privileged.
    let text = with_security(top, "          privileged: false\n          <<: *sc\n");
    assert_eq!(findings(&text), ["18 privileged-container"]);
    // An own key after the merge wins over it.
    let text = with_security(top, "          <<: *sc\n          privileged: false\n");
    assert_eq!(findings(&text), Vec::<String>::new());
    // Of merged mappings, the first wins.
    assert_eq!(
        values("a: &a {x: 1}\nb: &b {x: 2}\nc:\n  <<: [*a, *b]\n"),
        [r#"{"a":{"x":1},"b":{"x":2},"c":{"x":1}}"#]
    );
}

#[test]
fn core_tags_resolve_and_unknown_tags_make_strings() {
    for value in [
        "!!bool \"true\"",
        "!<tag:yaml.org,2002:bool> \"true\"",
        "!!bool true",
    ] {
        let text = with_security("", &format!("          privileged: {value}\n"));
        assert_eq!(findings(&text), ["16 privileged-container"], "{value}");
    }
    let text = with_security("", "          privileged: !custom true\n");
    assert_eq!(findings(&text), ["16 invalid-type"]);
    assert_eq!(
        values("a: !!int \"2\"\nb: !!null \"\"\nc: !custom true\nd: !!str 3\ne: !!float \"1.5\"\n"),
        [r#"{"a":2,"b":null,"c":"true","d":"3","e":1.5}"#]
    );
}

#[test]
fn base_prefixes_in_either_case_are_integers() {
    assert_eq!(
        values("a: 0X1F\nb: 0B101\nc: 0O17\nd: 0x1f\ne: 0o17\nf: 0b1\n"),
        [r#"{"a":31,"b":5,"c":15,"d":31,"e":15,"f":1}"#]
    );
}

#[test]
fn the_path_of_a_one_item_list_at_its_key_indentation_keeps_its_index() {
    let text = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  \
                selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      \
                labels: {app: agent}\n    spec:\n      containers:\n      - name: agent\n        \
                image: agent:1.0\n        securityContext:\n          privileged: true\n";
    let doc = yaml::documents(text, Limits::default())
        .next()
        .unwrap()
        .unwrap();
    let root = doc.root().unwrap();
    let containers = root
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap();
    let first = containers.items().next().unwrap();
    assert_eq!(first.span(), containers.span(), "the parser's spans");
    assert_eq!(
        root.path_to(first.span()).as_deref(),
        Some("spec.template.spec.containers[0]")
    );
    // The JSON report carries that path.
    let report = daemonlint::Linter::new(&Settings::default())
        .check_source(SourceFile::new("t.yaml", text), None);
    let missing = report
        .diagnostics
        .iter()
        .find(|d| d.rule == "missing-liveness-probe")
        .unwrap();
    assert_eq!(
        missing.path.as_deref(),
        Some("spec.template.spec.containers[0].name")
    );
}

/// `line message` of each `yaml-syntax` finding, and whether the DaemonSet was still linted.
fn errors(text: &str) -> (Vec<String>, bool) {
    let all = findings(text);
    let linted = all.iter().any(|f| f.ends_with("privileged-container"));
    let errors = all
        .into_iter()
        .filter_map(|f| {
            f.split_once(" yaml-syntax invalid YAML: ")
                .map(|(line, message)| format!("{line} {message}"))
        })
        .collect();
    (errors, linted)
}

#[test]
fn what_kubernetes_rejects_is_an_error_and_the_rest_is_still_linted() {
    let cases: &[(&str, &str, &str, usize, &str)] = &[
        // (extra, container, what, line, message)
        (
            "  labels:\n    a: x\n\t\n    b: y\n",
            "",
            "a tab on a blank line",
            7,
            "go-yaml v2 refuses a tab in the indentation of a line, even of a blank one \
             (\"found character that cannot start any token\"); delete the tab",
        ),
        (
            "",
            "        args:\n        -\t--verbose\n",
            "a tab after `-`",
            16,
            "go-yaml v2 refuses a tab after `-` or `?` (\"found character that cannot start \
             any token\"); use a space",
        ),
        (
            "  annotations:\n    url: \"http:\\/\\/x\"\n",
            "",
            "`\\/`",
            6,
            "go-yaml v2 knows no `\\/` escape (\"found unknown escape character\"); write `/`",
        ),
        (
            "",
            "        args: [--url=http://x/?a=b]\n",
            "`?` in a flow collection",
            15,
            "inside `[...]` or `{...}` go-yaml v2 ends a plain scalar at `?` (\"did not find \
             expected ','\"); quote the value",
        ),
        (
            "  annotations:\n    note: a\u{2028}b\n",
            "",
            "a line separator in a plain scalar",
            6,
            "go-yaml v2 (YAML 1.1) reads U+2028, U+2029 and U+0085 as line breaks, which break \
             this plain scalar (\"could not find expected ':'\"); quote the value or delete the \
             character",
        ),
        (
            "  labels:\n    : x\n",
            "",
            "an empty key",
            6,
            "go-yaml v2 needs a key before this `:` (\"did not find expected key\"); add the key",
        ),
        (
            "  labels:\n    ? [a, b]\n    : x\n",
            "",
            "a list as a key",
            6,
            "go-yaml v2 cannot use a list or a mapping as a key (\"invalid map key\")",
        ),
    ];
    for &(extra, container, what, line, message) in cases {
        let text = daemonset(extra, container);
        let (errors, linted) = errors(&text);
        assert_eq!(
            errors,
            [format!("{line} Kubernetes rejects this file: {message}")],
            "{what}"
        );
        assert!(linted, "{what}: the DaemonSet is still linted");
    }
}

#[test]
fn separators_directives_and_dropped_documents_are_reported() {
    let ds = daemonset("", "");
    let text = format!("--- !!map\n{ds}");
    assert_eq!(
        errors(&text),
        (
            vec![
                "1 Kubernetes rejects this file: kubectl cuts the stream into documents at lines \
                 that start with `---`, and only a comment may follow the `---` (\"invalid Yaml \
                 document separator: !!map\"); move `!!map` to the next line"
                    .to_string()
            ],
            true
        )
    );
    let text = format!("%YAML 1.2\n---\n{ds}");
    assert_eq!(
        errors(&text),
        (
            vec![
                "1 Kubernetes rejects this file: kubectl cuts the stream into documents at `---` \
                 lines, so the directive `%YAML 1.2` is decoded alone and go-yaml v2 reads YAML \
                 1.1 only and calls this version incompatible; delete the directive"
                    .to_string()
            ],
            true
        )
    );
    let text = format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n...\n{ds}");
    assert_eq!(
        errors(&text),
        (
            vec![
                "6 Kubernetes never applies this document: kubectl cuts the stream at `---` \
                 lines and decodes only the first document of each part, so a document that \
                 follows `...` without a `---` line is silently dropped; start it with a `---` \
                 line"
                    .to_string()
            ],
            true
        )
    );
}
