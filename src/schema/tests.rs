#![allow(clippy::unwrap_used)]

use super::*;
use crate::source::SourceFile;

/// `rule line:col-line:col message` for every finding of the named rules.
fn findings(text: &str, settings: &Settings, rules: &[&str]) -> Vec<String> {
    let report = crate::Linter::new(settings).check_source(SourceFile::new("t.yaml", text), None);
    report
        .diagnostics
        .iter()
        .filter(|d| rules.contains(&d.rule.as_ref()))
        .map(|d| {
            let (s, e) = report.source.span_positions(d.span);
            format!(
                "{} {}:{}-{}:{} {}",
                d.rule, s.line, s.column, e.line, e.column, d.message
            )
        })
        .collect()
}

const SCHEMA_RULES: &[&str] = &[
    "unknown-field",
    "invalid-type",
    "missing-field",
    "invalid-value",
    "yaml-syntax",
];

fn schema_findings(text: &str) -> Vec<String> {
    findings(text, &Settings::default(), SCHEMA_RULES)
}

const BASE: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - name: agent
          image: agent:1
";

#[test]
fn a_valid_daemonset_has_no_schema_findings() {
    assert_eq!(schema_findings(BASE), Vec::<String>::new());
}

#[test]
fn every_embedded_schema_compiles() {
    for version in KubeVersion::supported() {
        assert!(compiled(version).is_some(), "{version} does not compile");
    }
    assert_eq!(KubeVersion::newest().to_string(), "1.37");
}

#[test]
fn versions_parse_and_unknown_ones_are_refused() {
    assert_eq!("1.34".parse::<KubeVersion>().unwrap().minor(), 34);
    assert_eq!("v1.33.2".parse::<KubeVersion>().unwrap().minor(), 33);
    let err = "1.12".parse::<KubeVersion>().unwrap_err();
    assert!(
        err.contains("no embedded schema") && err.contains("1.30"),
        "{err}"
    );
    assert!("one.two".parse::<KubeVersion>().is_err());
    assert!("2.1".parse::<KubeVersion>().is_err());
}

#[test]
fn typos_at_several_depths_point_at_the_key_with_a_suggestion() {
    let text = "\
apiVersion: apps/v1
kind: DaemonSet
metdata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  updateStrategy:
    rollingUpdate: {maxUnavailabel: 1}
  template:
    metadata:
      labels: {app: agent}
    spec:
      tolleration:
        - operator: Exists
      containers:
        - name: agent
          image: agent:1
          securityContext:
            priviledged: true
          volumeMounts:
            - name: logs
              mountPath: /var/log
              readonly: true
";
    assert_eq!(
        schema_findings(text),
        vec![
            "unknown-field 3:1-3:8 unknown field `metdata` at the top level of the object; did you mean `metadata`?",
            "unknown-field 9:21-9:35 unknown field `maxUnavailabel` in `spec.updateStrategy.rollingUpdate`; did you mean `maxUnavailable`?",
            "unknown-field 14:7-14:18 unknown field `tolleration` in `spec.template.spec`; did you mean `tolerations`?",
            "unknown-field 20:13-20:24 unknown field `priviledged` in `spec.template.spec.containers[0].securityContext`; did you mean `privileged`?",
            "unknown-field 24:15-24:23 unknown field `readonly` in `spec.template.spec.containers[0].volumeMounts[0]`; did you mean `readOnly`?",
        ]
    );
}

#[test]
fn an_unknown_field_without_a_near_name_gets_no_suggestion_and_a_rename_fix_otherwise() {
    let text = BASE.replace(
        "          image: agent:1\n",
        "          image: agent:1\n          frobnicate: 1\n          imagePullPolicyy: Always\n",
    );
    let report = crate::Linter::new(&Settings::default())
        .check_source(SourceFile::new("t.yaml", text), None);
    let unknown: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule == "unknown-field")
        .collect();
    assert_eq!(unknown.len(), 2);
    assert!(!unknown[0].message.contains("did you mean"));
    assert!(unknown[0].fix.is_none());
    let fix = unknown[1].fix.as_ref().expect("a rename fix");
    assert_eq!(fix.edits[0].replacement, "imagePullPolicy");
    assert_eq!(
        &report.source.text[fix.edits[0].span.range()],
        "imagePullPolicyy"
    );
}

#[test]
fn wrong_types_are_reported_at_the_value() {
    let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostNetwork: \"true\"
      tolerations:
        key: a
      containers:
        - name: agent
          image: agent:1
          securityContext:
            privileged: \"yes\"
          ports:
            - containerPort: \"8080\"
          env:
            - name: PORT
              value: 8080
";
    assert_eq!(
        schema_findings(text),
        vec![
            "invalid-type 12:20-12:26 `spec.template.spec.hostNetwork` must be a boolean, but it is the string `\"true\"`",
            "invalid-type 14:9-14:15 `spec.template.spec.tolerations` must be a list, but it is a mapping",
            "invalid-type 19:25-19:30 `spec.template.spec.containers[0].securityContext.privileged` must be a boolean, but it is the string `\"yes\"`",
            "invalid-type 21:30-21:36 `spec.template.spec.containers[0].ports[0].containerPort` must be an integer, but it is the string `\"8080\"`",
            "invalid-type 24:22-24:26 `spec.template.spec.containers[0].env[0].value` must be a string, but it is the integer `8080`",
        ]
    );
    let report = crate::Linter::new(&Settings::default())
        .check_source(SourceFile::new("t.yaml", text), None);
    let helps: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule == "invalid-type")
        .filter_map(|d| d.help.as_deref())
        .collect();
    assert!(
        helps[0].starts_with("remove the quotes: `true` without quotes is a boolean"),
        "{helps:?}"
    );
    assert!(helps[1].contains("list items"), "{helps:?}");
    // `"yes"` unquoted would be a boolean to Kubernetes too.
    assert!(
        helps[2].starts_with("remove the quotes: `true`"),
        "{helps:?}"
    );
    assert!(
        helps[3].starts_with("remove the quotes: `8080` without quotes is an integer"),
        "{helps:?}"
    );
    assert!(helps[4].starts_with("quote it, `\"8080\"`"), "{helps:?}");
}

#[test]
fn yaml_1_1_values_are_judged_as_kubernetes_reads_them() {
    // Plain `yes` is a boolean to Kubernetes: fine for `privileged`, wrong for a label value;
    // plain 0640 is the integer 416, a valid mode.
    let text = BASE.replace(
        "          image: agent:1\n",
        "          image: agent:1\n          securityContext: {privileged: yes}\n          env:\n            - {name: A, value: on}\n      volumes:\n        - name: s\n          secret: {secretName: s, defaultMode: 0640}\n",
    );
    assert_eq!(
        schema_findings(&text),
        vec!["invalid-type 17:32-17:34 `spec.template.spec.containers[0].env[0].value` must be a string, but it is the boolean `on`"]
    );
    assert_eq!(
        findings(&text, &Settings::default(), &["yaml-1-1-ambiguity"]),
        vec![
            "yaml-1-1-ambiguity 15:41-15:44 `yes` is the boolean `true` to Kubernetes (YAML 1.1), but the string `yes` to YAML 1.2 tools (editors, yq, most libraries)",
            "yaml-1-1-ambiguity 17:32-17:34 `on` is the boolean `true` to Kubernetes (YAML 1.1), but the string `on` to YAML 1.2 tools (editors, yq, most libraries)",
            "yaml-1-1-ambiguity 20:48-20:52 `0640` is the octal number `0640` (decimal 416) to Kubernetes (YAML 1.1), but the decimal number 640 to YAML 1.2 tools (editors, yq, most libraries)",
        ]
    );
}

#[test]
fn missing_required_fields_point_at_the_parent_key() {
    let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - image: agent:1
          env:
            - value: x
";
    assert_eq!(
        schema_findings(text),
        vec![
            "missing-field 5:1-5:5 `spec` is missing the required field `selector`",
            "missing-field 11:11-11:16 `spec.template.spec.containers[0]` is missing the required field `name`",
            "missing-field 13:15-13:20 `spec.template.spec.containers[0].env[0]` is missing the required field `name`",
        ]
    );
}

#[test]
fn a_kustomize_patch_is_not_missing_what_its_base_holds() {
    let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: sidecar:1
          imagePullPolicy: sometimes
";
    assert_eq!(
        schema_findings(text),
        vec!["invalid-value 11:28-11:37 `spec.template.spec.containers[0].imagePullPolicy` is the string `\"sometimes\"`, which is not one of `Always`, `IfNotPresent`, `Never`"]
    );
}

#[test]
fn invalid_values_enums_ranges_quantities_and_formats() {
    let text = BASE.replace(
        "          image: agent:1\n",
        "          image: agent:1\n          imagePullPolicy: always\n          ports:\n            - {containerPort: 70000, protocol: TCP}\n          resources:\n            limits: {memory: 512MB, cpu: 500m}\n",
    )
    .replace("  name: agent\n", "  name: agent\n  creationTimestamp: yesterday\n");
    assert_eq!(
        schema_findings(&text),
        vec![
            "invalid-value 5:22-5:31 `metadata.creationTimestamp` is the string `\"yesterday\"`, which is not an RFC 3339 date-time such as `2024-05-01T12:00:00Z`",
            "invalid-value 16:28-16:34 `spec.template.spec.containers[0].imagePullPolicy` is the string `\"always\"`, which is not one of `Always`, `IfNotPresent`, `Never`",
            "invalid-value 18:31-18:36 `spec.template.spec.containers[0].ports[0].containerPort` is the integer `70000`, above the maximum 65535",
            "invalid-value 20:30-20:35 `spec.template.spec.containers[0].resources.limits.memory` is the string `\"512MB\"`, which is not a Kubernetes quantity",
        ]
    );
    let report = crate::Linter::new(&Settings::default())
        .check_source(SourceFile::new("t.yaml", text), None);
    let enum_fix = report
        .diagnostics
        .iter()
        .find(|d| d.message.contains("imagePullPolicy"))
        .and_then(|d| d.fix.as_ref())
        .expect("case fix");
    assert_eq!(enum_fix.edits[0].replacement, "Always");
}

#[test]
fn the_generator_pattern_for_quantities_is_the_one_explained() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMAS[SCHEMAS.len() - 1].1).unwrap();
    assert_eq!(
        schema["definitions"]["io.k8s.apimachinery.pkg.api.resource.Quantity"]["pattern"],
        explain::QUANTITY_PATTERN
    );
}

#[test]
fn a_paste_that_lost_its_indentation_is_one_paste_error() {
    let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
name: agent
namespace: logging
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
image: agent:1
";
    let all = findings(
        text,
        &Settings::default(),
        &[
            "unknown-field",
            "invalid-type",
            "missing-field",
            "invalid-value",
            "duplicate-key",
            "invalid-daemonset",
        ],
    );
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(all[0].starts_with("invalid-daemonset 4:1-4:5"), "{all:?}");
    assert!(all[0].contains("indentation lost"), "{all:?}");
}

#[test]
fn old_api_versions_get_no_schema_findings() {
    let text = BASE
        .replace("apps/v1", "extensions/v1beta1")
        .replace("  name: agent\n", "  name: agent\n  bogus: 1\n");
    assert_eq!(schema_findings(&text), Vec::<String>::new());
}

#[test]
fn each_version_is_selectable_and_newer_fields_are_unknown_to_older_ones() {
    let text = BASE.replace(
        "          image: agent:1\n",
        "          image: agent:1\n          lifecycle:\n            stopSignal: SIGTERM\n",
    );
    for version in KubeVersion::supported() {
        let settings = Settings {
            kube_version: version,
            ..Settings::default()
        };
        let found = findings(&text, &settings, SCHEMA_RULES);
        if version.minor() >= 33 {
            assert_eq!(found, Vec::<String>::new(), "{version}");
        } else {
            assert_eq!(
                found,
                vec!["unknown-field 16:13-16:23 unknown field `stopSignal` in `spec.template.spec.containers[0].lifecycle`"],
                "{version}"
            );
        }
    }
}

#[test]
fn alias_bombs_end_in_a_limit_diagnostic() {
    let mut text = BASE.replace("  name: agent\n", "  name: agent\n  annotations:\n");
    text = text.replace(
        "  annotations:\n",
        "  annotations: {}\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..8 {
        let prev = i - 1;
        let refs = vec![format!("*a{prev}"); 10].join(", ");
        text.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    // The loader refuses the document (its expanded size passes the node limit) before the
    // schema check could expand it: one finding, no hang, no memory blow-up.
    let found = schema_findings(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("yaml-syntax "), "{found:?}");
    assert!(found[0].contains("alias bomb"), "{found:?}");
}

#[test]
fn findings_per_object_are_bounded() {
    let mut text = BASE.to_string();
    for i in 0..80 {
        text.push_str(&format!("          bogus{i}: 1\n"));
    }
    let found = schema_findings(&text);
    assert_eq!(found.len(), MAX_FINDINGS_PER_OBJECT + 1);
    assert!(
        found[0].contains("30 more schema findings"),
        "the summary sits on `kind`, first in the file: {found:?}"
    );
}

#[test]
fn lists_are_validated_item_by_item() {
    let text = "\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: x}
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec:
          containers: [{name: agent, image: agent:1, imagePullPolicy: Sometimes}]
";
    let report = crate::Linter::new(&Settings::default())
        .check_source(SourceFile::new("t.yaml", text), None);
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.rule == "invalid-value")
        .expect("finding");
    assert_eq!(
        d.path.as_deref(),
        Some("items[1].spec.template.spec.containers[0].imagePullPolicy")
    );
    assert_eq!(&text[d.span.range()], "Sometimes");
}

#[test]
fn suggestions_need_a_close_name() {
    let names = ["privileged", "tolerations", "name", "hostNetwork"];
    assert_eq!(suggest("priviledged", names), Some("privileged"));
    assert_eq!(suggest("tolleration", names), Some("tolerations"));
    assert_eq!(suggest("hostnetwork", names), Some("hostNetwork"));
    assert_eq!(suggest("nmae", names), Some("name"));
    assert_eq!(suggest("zzz", names), None);
}

#[test]
fn ranges_list_items_and_fractions_are_checked() {
    let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  minReadySeconds: -1
  revisionHistoryLimit: 2147483648
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - name: agent
          image: agent:1
          args: [--a, 5, ~]
          ports: [{containerPort: 8080.5}, {containerPort: 8080.0}]
";
    assert_eq!(
        schema_findings(text),
        vec![
            "invalid-value 6:20-6:22 `spec.minReadySeconds` is the integer `-1`, below the minimum 0",
            "invalid-value 7:25-7:35 `spec.revisionHistoryLimit` is the integer `2147483648`, above the maximum 2147483647",
            "invalid-type 17:23-17:24 `spec.template.spec.containers[0].args[1]` must be a string, but it is the integer `5`",
            "invalid-type 18:35-18:41 `spec.template.spec.containers[0].ports[0].containerPort` must be an integer, but it is the number `8080.5`",
        ]
    );
}
