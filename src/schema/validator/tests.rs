//! The validator against `jsonschema` 0.60 (the policies' validator, which the schema check used
//! before): same problems, same order, on many documents; the hand-written matchers against
//! the regular expression and the format check they replace.

#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};

use super::*;
use crate::policy::instance::problem as jsonschema_problem;
use crate::policy::{build_validator, Instance};
use crate::schema::{KubeVersion, SCHEMAS};
use crate::yaml::{documents, Limits};

/// A DaemonSet that sets most kinds of field once.
const RICH: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
  labels: {app: agent}
  annotations: {a: b}
  creationTimestamp: "2024-05-01T12:00:00Z"
  generation: 3
  ownerReferences: [{apiVersion: v1, kind: Node, name: node, uid: u, controller: true}]
spec:
  minReadySeconds: 5
  revisionHistoryLimit: 10
  selector:
    matchLabels: {app: agent}
    matchExpressions: [{key: tier, operator: In, values: [node]}]
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1, maxSurge: "10%"}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      restartPolicy: Always
      terminationGracePeriodSeconds: 30
      priorityClassName: system-node-critical
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 60}]
      securityContext: {runAsUser: 1000, fsGroup: 2000, sysctls: [{name: a, value: b}]}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Exists}]}]
      dnsConfig: {nameservers: [1.1.1.1], options: [{name: ndots, value: "2"}]}
      hostAliases: [{ip: 10.0.0.1, hostnames: [a]}]
      initContainers:
        - name: init
          image: busybox:1
          command: [sh, -c, "true"]
      containers:
        - name: agent
          image: agent:1
          imagePullPolicy: IfNotPresent
          args: [--v=2]
          ports: [{containerPort: 8080, hostPort: 8080, protocol: TCP, name: http}]
          env:
            - {name: A, value: x}
            - name: B
              valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
          envFrom: [{configMapRef: {name: c}}]
          resources:
            requests: {cpu: 50m, memory: 64Mi}
            limits: {cpu: "1", memory: 1Gi, ephemeral-storage: 2e9}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080, httpHeaders: [{name: h, value: v}]}
            initialDelaySeconds: 5
            periodSeconds: 10
          readinessProbe:
            exec: {command: [cat, /ready]}
          lifecycle:
            preStop: {exec: {command: [sleep, "5"]}}
          securityContext:
            privileged: false
            capabilities: {add: [NET_ADMIN], drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
            runAsNonRoot: true
          volumeMounts:
            - {name: logs, mountPath: /var/log, readOnly: true, mountPropagation: HostToContainer}
      volumes:
        - name: logs
          hostPath: {path: /var/log, type: Directory}
        - name: cfg
          configMap: {name: c, defaultMode: 420, items: [{key: a, path: b, mode: 256}]}
        - name: proj
          projected: {sources: [{downwardAPI: {items: [{path: p, fieldRef: {fieldPath: metadata.name}}]}}]}
        - name: tmp
          emptyDir: {sizeLimit: 1Gi, medium: Memory}
"#;

/// Values put in place of every value of [`RICH`], written as YAML.
const REPLACEMENTS: &[&str] = &[
    "null",
    "~",
    "",
    "\"\"",
    "x",
    "\"x\"",
    "0",
    "-1",
    "1",
    "1.5",
    "8080.0",
    "70000",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "true",
    "yes",
    "\"yes\"",
    "0640",
    "0x1F",
    ".inf",
    "-.nan",
    "[]",
    "[1, x]",
    "[{a: 1}]",
    "{}",
    "{a: 1}",
    "512MB",
    "1Gi",
    "+.5e3",
    "1.",
    "Always",
    "always",
    "\"2024-13-01T00:00:00Z\"",
    "2024-02-29T23:59:60Z",
    "\"2023-02-29T23:59:60+00:00\"",
    "TCP",
    "Exists",
    "!!str 5",
    "\"a/b~c\"",
];

/// The problems of `root` under both validators, which must agree.
fn compare(
    version: KubeVersion,
    expected: &jsonschema::Validator<crate::policy::SpanJson>,
    schema_json: &Value,
    kinds: &mut std::collections::BTreeSet<String>,
    text: &str,
) -> usize {
    let Some(Ok(doc)) = documents(text, Limits::default()).next() else {
        return 0;
    };
    let Some(root) = doc.root() else {
        return 0;
    };
    let ours = crate::schema::compiled(version).unwrap().validate(root);
    let theirs: Vec<_> = expected.iter_errors(Instance::Tree(root)).collect();
    let show = |p: &Problem<'_>| match p {
        Problem::UnknownFields { names, .. } => format!("unknown {names:?}"),
        Problem::Enum(EnumValues::Strings(s)) => {
            format!("enum {}", serde_json::to_string(s).unwrap())
        }
        Problem::Enum(EnumValues::Json(v)) => format!("enum {v}"),
        other => format!("{other:?}"),
    };
    let ours_shown: Vec<String> = ours
        .iter()
        .map(|f| format!("{} {}", f.pointer, show(&f.problem())))
        .collect();
    let theirs_shown: Vec<String> = theirs
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e.instance_path().as_str(),
                show(&jsonschema_problem(e))
            )
        })
        .collect();
    assert_eq!(ours_shown, theirs_shown, "{version} on\n{text}");
    // Unknown fields get the names declared where `additionalProperties` failed.
    for (ours, theirs) in ours.iter().zip(&theirs) {
        if let Problem::UnknownFields { allowed, .. } = ours.problem() {
            let at = theirs.schema_path().as_str();
            let parent = at.strip_suffix("/additionalProperties").unwrap();
            let declared: Vec<&str> = schema_json
                .pointer(parent)
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap();
            assert_eq!(allowed, declared.as_slice(), "{at}");
        }
    }
    for failure in &ours {
        let kind = format!("{:?}", failure.kind);
        kinds.insert(
            kind.split([' ', '('])
                .next()
                .unwrap_or_default()
                .to_string(),
        );
    }
    ours.len()
}

/// Every path to a value of `value`.
fn paths(value: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                at.push(Value::String(k.clone()));
                paths(v, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(json!(i));
                paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'v>(value: &'v mut Value, path: &[Value]) -> &'v mut Value {
    path.iter().fold(value, |v, step| match step {
        Value::String(k) => v.get_mut(k.as_str()).unwrap(),
        _ => v.get_mut(step.as_u64().unwrap() as usize).unwrap(),
    })
}

/// The JSON text of `value` (YAML too), with the placeholder string replaced by `raw` YAML.
fn with_raw(value: &Value, raw: &str) -> String {
    value.to_string().replace("\"\\u0001\"", raw)
}

#[test]
fn problems_and_their_order_agree_with_jsonschema() {
    let base = crate::yaml::json::to_json(
        documents(RICH, Limits::default())
            .next()
            .unwrap()
            .unwrap()
            .root()
            .unwrap(),
        10_000,
    )
    .unwrap();
    let mut all = Vec::new();
    paths(&base, &mut Vec::new(), &mut all);
    let mut fixtures: Vec<String> = Vec::new();
    for entry in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")) {
        // Unreadable ones (the `io-error` fixtures) are left out.
        if let Ok(text) = std::fs::read_to_string(entry) {
            fixtures.push(text);
        }
    }
    let mut kinds = std::collections::BTreeSet::new();
    for version in [KubeVersion::newest(), "1.30".parse().unwrap()] {
        let index = version.index().unwrap();
        let schema_json: Value = serde_json::from_str(SCHEMAS[index].1).unwrap();
        let expected = build_validator(&schema_json).unwrap();
        let mut found = 0;
        assert_eq!(
            compare(version, &expected, &schema_json, &mut kinds, RICH),
            0
        );
        // The oldest version on the fixtures only: the mutations take a while.
        let mutated: &[Vec<Value>] = if version == KubeVersion::newest() {
            &all
        } else {
            &[]
        };
        for path in mutated {
            // Each value replaced.
            for raw in REPLACEMENTS {
                let mut doc = base.clone();
                *at_path(&mut doc, path) = json!("\u{1}");
                found += compare(
                    version,
                    &expected,
                    &schema_json,
                    &mut kinds,
                    &with_raw(&doc, raw),
                );
            }
            let mut doc = base.clone();
            match at_path(&mut doc, path) {
                // Unknown members (one needing pointer escapes), and each member missing.
                Value::Object(map) => {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    map.insert("bogus".into(), json!(1));
                    map.insert("a/b~c".into(), json!({"x": 1}));
                    found += compare(
                        version,
                        &expected,
                        &schema_json,
                        &mut kinds,
                        &doc.to_string(),
                    );
                    for key in keys {
                        let mut doc = base.clone();
                        if let Value::Object(map) = at_path(&mut doc, path) {
                            map.remove(&key);
                        }
                        found += compare(
                            version,
                            &expected,
                            &schema_json,
                            &mut kinds,
                            &doc.to_string(),
                        );
                    }
                }
                // Items of every kind appended.
                Value::Array(items) => {
                    items.push(json!("\u{1}"));
                    for raw in ["null", "1", "x", "{}", "[]", "{name: 1, bogus: 2}"] {
                        found += compare(
                            version,
                            &expected,
                            &schema_json,
                            &mut kinds,
                            &with_raw(&doc, raw),
                        );
                    }
                }
                _ => {}
            }
        }
        // YAML as written: merge keys, aliases, duplicate keys, flow and block styles.
        for text in &fixtures {
            for doc in text.split("\n---") {
                found += compare(version, &expected, &schema_json, &mut kinds, doc);
            }
        }
        assert!(found > 100, "{found} problems compared");
    }
    let all_kinds = [
        "DateTime",
        "Enum",
        "Maximum",
        "Minimum",
        "Quantity",
        "Required",
        "Type",
        "UnknownFields",
    ];
    assert_eq!(
        kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        all_kinds
    );
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Strings built from `alphabet`, every one up to `len` characters.
fn strings(alphabet: &[&str], len: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..len {
        last = last
            .iter()
            .flat_map(|s| alphabet.iter().map(move |a| format!("{s}{a}")))
            .collect();
        out.extend(last.iter().cloned());
    }
    out
}

#[test]
fn the_quantity_matcher_is_the_pattern() {
    let regex = jsonschema::options()
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(&json!({"pattern": QUANTITY_PATTERN}))
        .unwrap();
    let alphabet = [
        "0", "1", ".", "+", "-", "e", "E", "i", "K", "M", "m", "k", "n", "u", "G", "T", "P", "x",
        "\n", "é",
    ];
    let mut accepted = 0;
    for s in strings(&alphabet, 4) {
        let expected = regex.is_valid(&json!(s));
        assert_eq!(is_quantity(&s), expected, "{s:?}");
        accepted += usize::from(expected);
    }
    for s in [
        "512Mi", "1.5Gi", "+.5e-3", "-1E", "1Ei", "100m", "1e", "1MB", "mi", "1.2.3",
    ] {
        assert_eq!(is_quantity(s), regex.is_valid(&json!(s)), "{s:?}");
    }
    assert!(accepted > 500, "{accepted}");
}

#[test]
fn the_date_time_check_is_jsonschemas() {
    let format = jsonschema::options()
        .should_validate_formats(true)
        .build(&json!({"format": "date-time"}))
        .unwrap();
    let seeds = [
        "2024-05-01T12:00:00Z",
        "2024-02-29t23:59:60.123+00:00",
        "1900-02-29T00:00:00-23:59",
        "2023-12-31T23:59:60Z",
        "2023-12-31T00:59:60+01:00",
        "2023-12-31T22:59:60-01:00",
        "0000-01-01T00:00:00z",
    ];
    let alphabet = [
        "", "0", "1", "2", "3", "5", "6", "9", ":", "-", "+", ".", "T", "Z", "z", "x", "é",
    ];
    let mut checked = 0;
    for seed in seeds {
        let chars: Vec<char> = seed.chars().collect();
        for i in 0..=chars.len() {
            for a in alphabet {
                for skip in [0, 1] {
                    let s: String = chars[..i].iter().collect::<String>()
                        + a
                        + &chars[(i + skip).min(chars.len())..]
                            .iter()
                            .collect::<String>();
                    assert_eq!(is_date_time(&s), format.is_valid(&json!(s)), "{s:?}");
                    checked += 1;
                }
            }
        }
    }
    for hour in 0..24 {
        for (sign, offset) in [
            ("+", "00:00"),
            ("-", "01:00"),
            ("+", "23:59"),
            ("-", "00:30"),
        ] {
            let s = format!("2024-06-30T{hour:02}:59:60{sign}{offset}");
            assert_eq!(is_date_time(&s), format.is_valid(&json!(s)), "{s:?}");
        }
    }
    assert!(checked > 1000);
}

/// A regenerated schema with a keyword, value or combination the validator does not implement
/// must not compile (the embedded ones do: `every_embedded_schema_compiles`).
#[test]
fn unimplemented_keywords_are_refused() {
    let refused = [
        r#"{"type": "object", "minProperties": 1}"#,
        r#"{"oneOf": [{"type": "string"}]}"#,
        r#"{"type": "string", "format": "uri"}"#,
        r#"{"type": "string", "pattern": "^a$"}"#,
        r#"{"type": "string", "enum": ["a", 1]}"#,
        r#"{"type": "integer", "minimum": 0.5}"#,
        r#"{"type": "integer", "maximum": 18014398509481984}"#,
        r#"{"type": "strin"}"#,
        r##"{"properties": {"a": {"$ref": "#/definitions/x", "type": "string"}}, "additionalProperties": false, "definitions": {"x": {}}}"##,
        r##"{"properties": {"a": {"$ref": "#/definitions/y"}}, "additionalProperties": false, "definitions": {"x": {}}}"##,
        r##"{"properties": {"a": {"$ref": "other.json#/x"}}, "additionalProperties": false}"##,
        r#"{"properties": {"a": {}}}"#,
        r#"{"properties": {"a": {}}, "additionalProperties": {}}"#,
        r#"{"additionalProperties": true}"#,
        r#"{"additionalProperties": false}"#,
        r#"{"required": ["a"]}"#,
        r#"{"$schema": "https://json-schema.org/draft/2020-12/schema"}"#,
        r#"{"items": {"definitions": {}}}"#,
        r#"{"description": "x"}"#,
    ];
    for text in refused {
        assert!(Schema::compile(text).is_err(), "{text}");
    }
    let accepted = r##"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
        "properties": {"a": {"$ref": "#/definitions/x"}, "b": {"type": ["array", "null"], "items": {"type": "string"}}},
        "additionalProperties": false, "required": ["a"],
        "definitions": {"x": {"type": "object", "additionalProperties": {"type": "integer", "format": "int32", "minimum": -1, "maximum": 1}}}}"##;
    assert!(Schema::compile(accepted).is_ok());
}

/// Compiling is cheap: the point of this validator (a single small file is the common run).
#[test]
fn every_embedded_schema_compiles_into_a_small_arena() {
    for &(minor, text) in SCHEMAS {
        let schema = Schema::compile(text).unwrap();
        assert!(
            (100..2000).contains(&schema.nodes.len()),
            "1.{minor}: {} nodes",
            schema.nodes.len()
        );
    }
}
