#![allow(clippy::unwrap_used)]

use super::*;

/// `line:col-line:col message` of each problem in a policy text.
fn problems(text: &str) -> Vec<String> {
    let source = SourceFile::new("policy.yaml", text);
    let (policies, errors) = load_source(&source, &Settings::default(), &mut HashSet::new());
    if errors.is_empty() {
        assert!(!policies.is_empty());
    }
    errors
        .iter()
        .map(|d| {
            assert_eq!(d.rule, "invalid-policy");
            let (s, e) = source.span_positions(d.span);
            format!(
                "{}:{}-{}:{} {}",
                s.line, s.column, e.line, e.column, d.message
            )
        })
        .collect()
}

fn policy(text: &str) -> PolicySet {
    let source = SourceFile::new("policy.yaml", text);
    let (policies, errors) = load_source(&source, &Settings::default(), &mut HashSet::new());
    assert!(errors.is_empty(), "{errors:?}");
    PolicySet { policies }
}

/// `rule line:col-line:col message` of the policy findings on a manifest.
fn run(set: &PolicySet, manifest: &str) -> Vec<String> {
    let report = crate::session::check_with_set(
        SourceFile::new("ds.yaml", manifest),
        &Settings::default(),
        set,
    );
    report
        .diagnostics
        .iter()
        .filter(|d| set.iter().any(|p| p.id == d.rule))
        .map(|d| {
            let (s, e) = report.source.span_positions(d.span);
            format!(
                "{} {}:{}-{}:{} {}",
                d.rule, s.line, s.column, e.line, e.column, d.message
            )
        })
        .collect()
}

const DS: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluent-bit
  namespace: logging
  labels: {team: observability}
spec:
  selector:
    matchLabels: {app: fluent-bit}
  template:
    metadata:
      labels: {app: fluent-bit}
    spec:
      hostNetwork: true
      initContainers:
        - name: setup
          image: busybox
      containers:
        - name: agent
          image: fluent/fluent-bit:3.0
";

#[test]
fn a_container_policy_checks_init_containers_too() {
    let set = policy(
        "id: pinned\nmessage: pin images\ntarget: container\nschema:\n  properties:\n    image: {pattern: ':'}\n",
    );
    assert_eq!(
        run(&set, DS),
        vec!["pinned 17:18-17:25 pin images: `spec.template.spec.initContainers[0].image` is the string `\"busybox\"`, which does not match the pattern `:`"]
    );
}

#[test]
fn a_pod_spec_policy_points_into_the_pod_spec() {
    let set = policy(
        "id: no-host-network\nseverity: error\nmessage: no host network\ntarget: podSpec\nschema:\n  properties:\n    hostNetwork: {const: false}\n",
    );
    assert_eq!(
        run(&set, DS),
        vec!["no-host-network 14:20-14:24 no host network: `spec.template.spec.hostNetwork` is the boolean `true`, but it must be `false`"]
    );
}

#[test]
fn a_daemonset_policy_points_at_the_parent_key_of_a_missing_field() {
    let set = policy(
        "id: owner\nmessage: needs an owner annotation\ntarget: daemonset\nschema:\n  properties:\n    metadata: {required: [annotations]}\n",
    );
    assert_eq!(
        run(&set, DS),
        vec!["owner 3:1-3:9 needs an owner annotation: `metadata` is missing the required field `annotations`"]
    );
}

#[test]
fn match_restricts_policies_to_some_daemonsets() {
    let policy_text = |m: &str| {
        format!("id: p\nmessage: m\ntarget: podSpec\nmatch: {m}\nschema:\n  required: [priorityClassName]\n")
    };
    for (m, fires) in [
        ("{namespaces: [logging]}", true),
        ("{namespaces: [kube-system]}", false),
        ("{namespaces: [default]}", false),
        ("{labels: {team: observability}}", true),
        ("{labels: {team: other}}", false),
        ("{name: 'fluent-*'}", true),
        ("{name: 'node-*'}", false),
        ("{namespaces: [logging], name: 'node-*'}", false),
        ("{}", true),
    ] {
        let set = policy(&policy_text(m));
        assert_eq!(run(&set, DS).len(), usize::from(fires), "match {m}");
    }
    // An object without a namespace is in `default`.
    let set = policy(&policy_text("{namespaces: [default]}"));
    assert_eq!(
        run(&set, &DS.replace("  namespace: logging\n", "")).len(),
        1
    );
}

#[test]
fn severity_defaults_to_warning_and_docs_to_an_empty_url() {
    let set = policy("id: p\nmessage: m\ntarget: podSpec\nschema: {required: [x]}\n");
    let report =
        crate::session::check_with_set(SourceFile::new("ds.yaml", DS), &Settings::default(), &set);
    let d = report.diagnostics.iter().find(|d| d.rule == "p").unwrap();
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.docs_url(), "");
}

#[test]
fn broken_policies_point_into_the_policy_file() {
    assert_eq!(
        problems("message: m\ntarget: podSpec\nschema: {}\n"),
        vec!["1:1-1:8 the policy has no `id`"]
    );
    assert_eq!(
        problems("id: p\nmessage: m\ntarget: pod\nschema: {}\n"),
        vec!["3:9-3:12 unknown target `pod`; use `daemonset`, `podSpec` or `container`"]
    );
    assert_eq!(
        problems("id: p\nmessage: m\ntarget: podspec\nschema: {}\n"),
        vec!["3:9-3:16 unknown target `podspec` (did you mean `podSpec`?); use `daemonset`, `podSpec` or `container`"]
    );
    assert_eq!(
        problems("id: p\nmessage: m\ntarget: podSpec\nschema:\n  properties:\n    image: {type: strin}\n"),
        vec!["6:19-6:24 invalid JSON Schema at `schema.properties.image.type`: \"strin\" is not a JSON Schema type"]
    );
    assert_eq!(
        problems("id: privileged-container\nmessage: m\ntarget: podSpec\nschema: {}\n"),
        vec!["1:5-1:25 the policy id `privileged-container` is a built-in rule id; choose another (e.g. `org-privileged-container`)"]
    );
    assert_eq!(
        problems("id: p\nmesage: m\ntarget: podSpec\nschema: {}\n"),
        vec![
            "1:1-1:3 the policy has no `message`",
            "2:1-2:7 unknown policy field `mesage`; did you mean `message`?",
        ]
    );
    assert_eq!(
        problems("id: p\nmessage: m\ntarget: podSpec\nschema: [1]\nseverity: fatal\n"),
        vec![
            "4:9-4:12 `schema` must be a JSON Schema (a mapping), but it is a list",
            "5:11-5:16 unknown severity `fatal`; use `error`, `warning` or `info`",
        ]
    );
    assert_eq!(
        problems("id: p\nmessage: [m\n"),
        vec!["2:10-2:11 invalid YAML: unclosed bracket '['"]
    );
    assert_eq!(
        problems("- id: p\n"),
        vec!["1:1-1:8 a policy must be a mapping, but this document is a list"]
    );
    assert_eq!(
        problems("# nothing\n"),
        vec!["1:1-1:1 the policy file holds no policy"]
    );
    assert_eq!(
        problems("id: p\nmessage: m\ntarget: podSpec\nmatch: {namespace: [a]}\nschema: {}\n"),
        vec!["4:9-4:18 unknown `match` field `namespace`; did you mean `namespaces`?"]
    );
}

#[test]
fn look_around_patterns_are_refused_with_a_pointer_to_the_pattern() {
    let found = problems(
        "id: p\nmessage: m\ntarget: container\nschema:\n  properties:\n    image: {pattern: '^(?!docker.io)'}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0],
        "6:22-6:38 invalid JSON Schema at `schema.properties.image.pattern`: `^(?!docker.io)` is \
         not a regular expression the linear-time `regex` engine accepts"
    );
}

#[test]
fn schema_keys_are_taken_as_written() {
    // `n` would be the boolean false as a YAML 1.1 key; in a schema it names a definition.
    let set = policy(
        "id: p\nmessage: m\ntarget: podSpec\nschema:\n  $defs:\n    n: {type: boolean}\n  properties:\n    hostNetwork: {$ref: '#/$defs/n'}\n    y: {type: string}\n",
    );
    assert!(run(&set, DS).is_empty());
    assert_eq!(
        problems("id: p\nmessage: m\ntarget: podSpec\nschema:\n  $defs:\n    n: {type: bool}\n"),
        vec!["6:15-6:19 invalid JSON Schema at `schema.$defs.n.type`: \"bool\" is not a JSON Schema type"]
    );
}

#[test]
fn ids_are_unique_across_files() {
    let settings = Settings::default();
    let mut ids = HashSet::new();
    let text = "id: p\nmessage: m\ntarget: podSpec\nschema: {}\n";
    let (first, errors) = load_source(&SourceFile::new("a.yaml", text), &settings, &mut ids);
    assert_eq!((first.len(), errors.len()), (1, 0));
    let (second, errors) = load_source(&SourceFile::new("b.yaml", text), &settings, &mut ids);
    assert!(second.is_empty());
    assert_eq!(
        errors[0].message,
        "another policy already has the id `p`; ids must be unique"
    );
}

#[test]
fn catastrophic_backtracking_patterns_run_in_linear_time() {
    // `^(a+)+$` on "aaaa…a!" takes exponential time on a backtracking engine.
    let set = policy(
        "id: p\nmessage: m\ntarget: container\nschema:\n  properties:\n    image: {pattern: '^(a+)+$'}\n",
    );
    let image = format!("{}!", "a".repeat(100_000));
    let manifest = DS.replace("fluent/fluent-bit:3.0", &image);
    let started = std::time::Instant::now();
    let found = run(&set, &manifest);
    assert_eq!(found.len(), 2, "both images fail the pattern");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn unreadable_policy_files_are_reported() {
    let err = load(
        &[PathBuf::from("no/such/policy.yaml")],
        &Settings::default(),
    )
    .unwrap_err();
    assert!(err[0].io_error);
    assert!(err[0].diagnostics[0]
        .message
        .starts_with("cannot read the policy file"));
}

#[test]
fn lint_source_refuses_to_lint_with_a_broken_policy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, "id: p\ntarget: nowhere\n").unwrap();
    let settings = Settings {
        policies: vec![path],
        ..Settings::default()
    };
    let report = crate::Linter::new(&settings).check_source(SourceFile::new("ds.yaml", DS), None);
    assert!(report.io_error, "exit code 2");
    assert_eq!(report.diagnostics.len(), 1);
    let message = &report.diagnostics[0].message;
    assert!(
        message.starts_with("not linted: a policy file is broken ("),
        "{message}"
    );
    assert!(
        message.contains("broken.yaml:2:9: unknown target `nowhere`"),
        "{message}"
    );
}
