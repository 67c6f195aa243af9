//! Each predicate and its edge cases, against one pod spec and one node at a time.

use std::sync::Arc;

use super::pod::Limit;
use super::*;
use crate::k8s::quantity::parse;
use crate::manifest::{self, DaemonSet};
use crate::rules::rolling_update::Amount;
use crate::source::SourceFile;
use crate::yaml::{documents, Limits};

/// Run `f` on the pod view of a DaemonSet whose pod spec is `pod` (YAML at column 0).
fn with_pod<R>(pod: &str, f: impl FnOnce(&PodView<'_>) -> R) -> R {
    let mut body = String::new();
    if !pod.contains("containers:") {
        body.push_str("containers: [{name: c, image: i}]\n");
    }
    body.push_str(pod);
    let indented: String = body.lines().map(|l| format!("      {l}\n")).collect();
    let text = format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: t}}\nspec:\n  template:\n    spec:\n{indented}"
    );
    let docs: Vec<_> = documents(&text, Limits::default()).collect();
    let doc = docs[0].as_ref().expect("yaml");
    let objects = manifest::objects(doc);
    let ds = DaemonSet::from_object(objects[0]).expect("daemonset");
    f(&PodView::of(&ds))
}

fn node(yaml: &str) -> ClusterNode {
    let source = Arc::new(SourceFile::new("n.yaml", format!("kind: Node\n{yaml}")));
    let mut nodes = nodes::parse_source(&source).expect("node");
    nodes.remove(0).0
}

/// `runs`, `runs: notes`, `skipped: reason` or `pending: reason`.
fn verdict(pod: &str, node_yaml: &str) -> String {
    let n = node(node_yaml);
    with_pod(pod, |view| {
        let p = place(view, &n);
        let head = match p.outcome {
            Outcome::Runs => "runs".to_string(),
            Outcome::Skipped => format!("skipped: {}", p.reason.unwrap_or_default()),
            Outcome::Pending => format!("pending: {}", p.reason.unwrap_or_default()),
        };
        if p.notes.is_empty() {
            head
        } else {
            format!("{head} [{}]", p.notes.join("; "))
        }
    })
}

const PLAIN: &str =
    "metadata: {name: n1, labels: {kubernetes.io/os: linux, zone: a, cores: \"16\"}}\n";

#[test]
fn node_selector_needs_every_label_equal() {
    assert_eq!(verdict("nodeSelector: {zone: a}\n", PLAIN), "runs");
    assert_eq!(
        verdict("nodeSelector: {zone: b}\n", PLAIN),
        "skipped: nodeSelector zone=b not matched"
    );
    assert_eq!(
        verdict("nodeSelector: {zone: a, accelerator: nvidia-gpu}\n", PLAIN),
        "skipped: nodeSelector accelerator=nvidia-gpu not matched"
    );
    // An empty value matches only a label that is present and empty.
    assert_eq!(
        verdict("nodeSelector: {gpu: \"\"}\n", PLAIN),
        "skipped: nodeSelector gpu= not matched"
    );
}

fn affinity(expressions: &str) -> String {
    format!(
        "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n{expressions}"
    )
}

fn term(exprs: &[&str]) -> String {
    let mut out = String::from("      - matchExpressions:\n");
    for e in exprs {
        out.push_str(&format!("        - {e}\n"));
    }
    out
}

#[test]
fn affinity_operators_follow_label_selector_semantics() {
    let cases: &[(&str, &str)] = &[
        ("{key: zone, operator: In, values: [a, b]}", "runs"),
        (
            "{key: zone, operator: In, values: [b]}",
            "skipped: required node affinity term 1: key zone In [b] failed",
        ),
        (
            "{key: missing, operator: In, values: [a]}",
            "skipped: required node affinity term 1: key missing In [a] failed",
        ),
        ("{key: missing, operator: NotIn, values: [a]}", "runs"),
        (
            "{key: zone, operator: NotIn, values: [a]}",
            "skipped: required node affinity term 1: key zone NotIn [a] failed",
        ),
        ("{key: zone, operator: Exists}", "runs"),
        (
            "{key: missing, operator: Exists}",
            "skipped: required node affinity term 1: key missing Exists failed",
        ),
        ("{key: missing, operator: DoesNotExist}", "runs"),
        (
            "{key: zone, operator: DoesNotExist}",
            "skipped: required node affinity term 1: key zone DoesNotExist failed",
        ),
        ("{key: cores, operator: Gt, values: [\"8\"]}", "runs"),
        (
            "{key: cores, operator: Gt, values: [\"16\"]}",
            "skipped: required node affinity term 1: key cores Gt [16] failed",
        ),
        ("{key: cores, operator: Lt, values: [\"32\"]}", "runs"),
        // Gt/Lt on a label that is not an integer, or absent, fail.
        (
            "{key: zone, operator: Gt, values: [\"1\"]}",
            "skipped: required node affinity term 1: key zone Gt [1] failed",
        ),
        (
            "{key: missing, operator: Lt, values: [\"1\"]}",
            "skipped: required node affinity term 1: key missing Lt [1] failed",
        ),
        (
            "{key: cores, operator: Gt, values: [many]}",
            "skipped: required node affinity term 1: key cores Gt [many] is invalid (Gt and Lt take exactly one integer value)",
        ),
        (
            "{key: zone, operator: Exists, values: [a]}",
            "skipped: required node affinity term 1: key zone Exists [a] is invalid (Exists and DoesNotExist take no values)",
        ),
        (
            "{key: zone, operator: In, values: []}",
            "skipped: required node affinity term 1: key zone In is invalid (In and NotIn need at least one value)",
        ),
        (
            "{key: zone, operator: Equals, values: [a]}",
            "skipped: required node affinity term 1: key zone Equals [a] is invalid (the operator must be In, NotIn, Exists, DoesNotExist, Gt or Lt)",
        ),
    ];
    for (expr, expected) in cases {
        assert_eq!(
            verdict(&affinity(&term(&[expr])), PLAIN),
            *expected,
            "{expr}"
        );
    }
}

#[test]
fn expressions_are_anded_and_terms_ored() {
    let and = term(&[
        "{key: zone, operator: In, values: [a]}",
        "{key: node-role.kubernetes.io/control-plane, operator: Exists}",
    ]);
    assert_eq!(
        verdict(&affinity(&and), PLAIN),
        "skipped: required node affinity term 1: key node-role.kubernetes.io/control-plane Exists failed"
    );
    let or = format!(
        "{}{}",
        term(&["{key: zone, operator: In, values: [b]}"]),
        term(&["{key: zone, operator: In, values: [a]}"])
    );
    assert_eq!(verdict(&affinity(&or), PLAIN), "runs");
    let neither = format!(
        "{}{}",
        term(&["{key: zone, operator: In, values: [b]}"]),
        term(&["{key: x, operator: Exists}"])
    );
    assert_eq!(
        verdict(&affinity(&neither), PLAIN),
        "skipped: required node affinity term 1: key zone In [b] failed; term 2: key x Exists failed"
    );
}

#[test]
fn empty_terms_match_nothing() {
    // "A null or empty node selector term matches no objects."
    assert_eq!(
        verdict(&affinity("      - {}\n"), PLAIN),
        "skipped: required node affinity term 1 is empty and matches no node"
    );
    assert_eq!(
        verdict(&affinity("      - matchExpressions: []\n      - {matchExpressions: [{key: zone, operator: Exists}]}\n"), PLAIN),
        "runs"
    );
    // No terms at all: nothing matches (and the API server rejects it).
    assert_eq!(
        verdict(
            "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms: []\n",
            PLAIN
        ),
        "skipped: required node affinity has no nodeSelectorTerms, which matches no node"
    );
    // Only preferred affinity: no constraint.
    assert_eq!(
        verdict(
            "affinity:\n  nodeAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution: []\n",
            PLAIN
        ),
        "runs"
    );
}

#[test]
fn match_fields_select_by_node_name() {
    let fields = |e: &str| affinity(&format!("      - matchFields:\n        - {e}\n"));
    assert_eq!(
        verdict(
            &fields("{key: metadata.name, operator: In, values: [n1]}"),
            PLAIN
        ),
        "runs"
    );
    assert_eq!(
        verdict(
            &fields("{key: metadata.name, operator: In, values: [n2]}"),
            PLAIN
        ),
        "skipped: required node affinity term 1: field metadata.name In [n2] failed"
    );
    assert_eq!(
        verdict(
            &fields("{key: metadata.name, operator: NotIn, values: [n2]}"),
            PLAIN
        ),
        "runs"
    );
    assert_eq!(
        verdict(&fields("{key: metadata.labels, operator: In, values: [x]}"), PLAIN),
        "skipped: required node affinity term 1: field metadata.labels In [x] is invalid (matchFields supports only metadata.name In or NotIn with one value)"
    );
    // A selector and an affinity must both match.
    assert_eq!(
        verdict(
            &format!(
                "nodeSelector: {{zone: b}}\n{}",
                fields("{key: metadata.name, operator: In, values: [n1]}")
            ),
            PLAIN
        ),
        "skipped: nodeSelector zone=b not matched"
    );
}

#[test]
fn node_name_pins_the_pod() {
    assert_eq!(verdict("nodeName: n1\n", PLAIN), "runs");
    assert_eq!(
        verdict("nodeName: n2\n", PLAIN),
        "skipped: spec.nodeName pins the pod to node n2"
    );
}

const CP: &str = "metadata: {name: cp, labels: {node-role.kubernetes.io/control-plane: \"\"}}\nspec:\n  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]\n";

#[test]
fn taints_block_unless_tolerated() {
    assert_eq!(
        verdict("", CP),
        "skipped: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"
    );
    assert_eq!(verdict("tolerations: [{operator: Exists}]\n", CP), "runs");
    assert_eq!(
        verdict("tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]\n", CP),
        "runs"
    );
    assert_eq!(
        verdict(
            "tolerations: [{key: node-role.kubernetes.io/master, operator: Exists}]\n",
            CP
        ),
        "skipped: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"
    );
    let no_execute = "metadata: {name: w}\nspec:\n  taints:\n  - {key: dedicated, value: ingress, effect: NoExecute}\n  - {key: other, effect: NoSchedule}\n";
    assert_eq!(
        verdict("", no_execute),
        "skipped: taint dedicated=ingress:NoExecute not tolerated"
    );
    assert_eq!(
        verdict(
            "tolerations: [{key: dedicated, value: ingress, effect: NoExecute}]\n",
            no_execute
        ),
        "skipped: taint other:NoSchedule not tolerated"
    );
    assert_eq!(
        verdict(
            "tolerations: [{key: dedicated, value: egress, effect: NoExecute}]\n",
            no_execute
        ),
        "skipped: taint dedicated=ingress:NoExecute not tolerated"
    );
    let prefer = "metadata: {name: w}\nspec:\n  taints: [{key: spot, effect: PreferNoSchedule}]\n";
    assert_eq!(
        verdict("", prefer),
        "runs [taint spot:PreferNoSchedule only lowers the node's score, never blocks]"
    );
}

#[test]
fn a_no_schedule_taint_keeps_running_pods_and_no_execute_evicts_them() {
    let keeps = |node_yaml: &str| {
        let n = node(node_yaml);
        with_pod("", |view| place(view, &n).keeps_running)
    };
    assert!(keeps(CP));
    assert!(!keeps(
        "metadata: {name: w}\nspec:\n  taints: [{key: a, effect: NoSchedule}, {key: b, effect: NoExecute}]\n"
    ));
}

#[test]
fn the_controller_adds_tolerations_for_node_conditions() {
    let not_ready = "metadata: {name: w}\nspec:\n  taints:\n  - {key: node.kubernetes.io/not-ready, effect: NoExecute}\n  - {key: node.kubernetes.io/unreachable, effect: NoExecute}\n  - {key: node.kubernetes.io/memory-pressure, effect: NoSchedule}\n";
    assert_eq!(
        verdict("", not_ready),
        "runs [taint node.kubernetes.io/not-ready:NoExecute tolerated by the toleration the DaemonSet controller adds; taint node.kubernetes.io/unreachable:NoExecute tolerated by the toleration the DaemonSet controller adds; taint node.kubernetes.io/memory-pressure:NoSchedule tolerated by the toleration the DaemonSet controller adds]"
    );
    // The NoSchedule not-ready taint is not among them.
    assert_eq!(
        verdict("", "metadata: {name: w}\nspec:\n  taints: [{key: node.kubernetes.io/not-ready, effect: NoSchedule}]\n"),
        "skipped: taint node.kubernetes.io/not-ready:NoSchedule not tolerated"
    );
    // network-unavailable only for hostNetwork pods.
    let network = "metadata: {name: w}\nspec:\n  taints: [{key: node.kubernetes.io/network-unavailable, effect: NoSchedule}]\n";
    assert_eq!(
        verdict("", network),
        "skipped: taint node.kubernetes.io/network-unavailable:NoSchedule not tolerated"
    );
    assert_eq!(
        verdict("hostNetwork: true\n", network),
        "runs [taint node.kubernetes.io/network-unavailable:NoSchedule tolerated by the toleration the DaemonSet controller adds]"
    );
}

#[test]
fn cordoned_nodes_still_run_daemonset_pods() {
    let cordoned = "metadata: {name: w}\nspec:\n  unschedulable: true\n  taints: [{key: node.kubernetes.io/unschedulable, effect: NoSchedule}]\n";
    assert_eq!(
        verdict("", cordoned),
        "runs [cordoned, but the toleration node.kubernetes.io/unschedulable:NoSchedule that the DaemonSet controller adds lets the pod run]"
    );
    assert_eq!(
        verdict("tolerations: [{operator: Exists}]\n", cordoned),
        "runs [cordoned; the pod tolerates node.kubernetes.io/unschedulable]"
    );
    // Without the controller's tolerations the scheduler would refuse the node.
    let n = node(cordoned);
    with_pod("", |view| {
        let mut bare = view.clone();
        bare.added_tolerations.clear();
        let mut n = n.clone();
        n.taints.clear();
        assert_eq!(
            place(&bare, &n).reason.as_deref(),
            Some("node is unschedulable (cordoned)")
        );
    });
}

const SMALL: &str =
    "metadata: {name: s}\nstatus:\n  allocatable: {cpu: 500m, memory: 1Gi, pods: \"110\"}\n";

#[test]
fn requests_are_compared_with_allocatable() {
    let agent = |cpu: &str| {
        format!("containers: [{{name: a, image: i, resources: {{requests: {{cpu: {cpu}, memory: 64Mi}}}}}}]\n")
    };
    assert_eq!(verdict(&agent("500m"), SMALL), "runs");
    assert_eq!(
        verdict(&agent("0.6"), SMALL),
        "pending: requests cpu 600m but allocatable is 500m"
    );
    assert_eq!(
        verdict(&agent("1"), "metadata: {name: u}\n"),
        "runs [allocatable unknown]"
    );
    assert_eq!(
        verdict(
            &agent("1"),
            "metadata: {name: u}\nstatus: {allocatable: {memory: 1Gi}}\n"
        ),
        "runs [allocatable cpu unknown]"
    );
    let gpu = "containers: [{name: a, image: i, resources: {limits: {nvidia.com/gpu: 1}}}]\n";
    assert_eq!(
        verdict(gpu, SMALL),
        "pending: requests nvidia.com/gpu 1 but the node has none"
    );
    assert_eq!(
        verdict(
            gpu,
            "metadata: {name: g}\nstatus: {allocatable: {nvidia.com/gpu: \"4\"}}\n"
        ),
        "runs"
    );
}

#[test]
fn windows_nodes_get_a_note_when_the_pod_selects_no_os() {
    let win = "metadata: {name: w, labels: {kubernetes.io/os: windows}}\n";
    assert_eq!(
        verdict("", win),
        "runs [Windows node and the pod selects no OS: Linux images cannot start here]"
    );
    assert_eq!(
        verdict("nodeSelector: {kubernetes.io/os: windows}\n", win),
        "runs"
    );
    assert_eq!(
        verdict("nodeSelector: {kubernetes.io/os: linux}\n", win),
        "skipped: nodeSelector kubernetes.io/os=linux not matched"
    );
}

/// `(requests, limits)` of a pod as `resource=value` lists.
fn resources(pod: &str) -> (String, String) {
    with_pod(pod, |view| {
        let requests = view
            .requests
            .iter()
            .map(|(r, q)| format!("{r}={}", q.display(r)))
            .collect::<Vec<_>>()
            .join(" ");
        let limits = view
            .limits
            .iter()
            .map(|(r, l)| match l {
                Limit::Value(q) => format!("{r}={}", q.display(r)),
                Limit::Unbounded(c) => format!("{r}=unbounded({c})"),
            })
            .collect::<Vec<_>>()
            .join(" ");
        (requests, limits)
    })
}

#[test]
fn effective_requests_follow_the_init_container_rule() {
    // max(max of init containers, sum of app containers) per resource.
    let pod = "initContainers:\n- {name: setup, image: i, resources: {requests: {cpu: \"1\", memory: 64Mi}}}\n- {name: migrate, image: i, resources: {requests: {cpu: 300m, memory: 512Mi}}}\ncontainers:\n- {name: a, image: i, resources: {requests: {cpu: 200m, memory: 128Mi}}}\n- {name: b, image: i, resources: {requests: {cpu: 100m, memory: 128Mi}}}\n";
    assert_eq!(resources(pod).0, "cpu=1 memory=512Mi");
    // Sidecars (restartPolicy: Always) add to the sum and to every later init container.
    let sidecar = "initContainers:\n- {name: proxy, image: i, restartPolicy: Always, resources: {requests: {cpu: 100m, memory: 64Mi}}}\n- {name: setup, image: i, resources: {requests: {cpu: 450m, memory: 32Mi}}}\ncontainers:\n- {name: a, image: i, resources: {requests: {cpu: 200m, memory: 128Mi}}}\n";
    assert_eq!(resources(sidecar).0, "cpu=550m memory=192Mi");
    // A request left out defaults to the limit.
    let limits_only =
        "containers:\n- {name: a, image: i, resources: {limits: {cpu: 250m, memory: 1e9}}}\n";
    assert_eq!(
        resources(limits_only),
        ("cpu=250m memory=1G".into(), "cpu=250m memory=1G".into())
    );
}

#[test]
fn a_container_without_a_limit_makes_the_pod_unbounded() {
    let pod = "containers:\n- {name: a, image: i, resources: {limits: {cpu: 200m, memory: 256Mi}}}\n- {name: b, image: i, resources: {requests: {memory: 128Mi}, limits: {memory: 256Mi}}}\n";
    assert_eq!(
        resources(pod),
        (
            // `a`'s memory request defaults to its limit: 256Mi + 128Mi.
            "cpu=200m memory=384Mi".into(),
            "cpu=unbounded(container `b`) memory=512Mi".into()
        )
    );
    let init = "initContainers:\n- {name: setup, image: i, resources: {limits: {cpu: \"2\"}}}\ncontainers:\n- {name: a, image: i, resources: {limits: {cpu: 500m}}}\n";
    assert_eq!(resources(init).1, "cpu=2");
}

#[test]
fn pod_level_resources_override_cpu_and_memory() {
    let pod = "resources: {requests: {cpu: \"1\"}, limits: {cpu: \"2\"}}\ncontainers:\n- {name: a, image: i, resources: {requests: {cpu: 100m, memory: 64Mi}}}\n";
    assert_eq!(resources(pod), ("cpu=1 memory=64Mi".into(), "cpu=2".into()));
}

#[test]
fn invalid_quantities_are_problems_with_spans() {
    let problems = with_pod(
        "containers:\n- {name: a, image: i, resources: {requests: {cpu: 2x, memory: \"-1\"}}}\n",
        |view| {
            view.problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
        },
    );
    assert_eq!(problems.len(), 2);
    assert!(
        problems[0].starts_with("`2x` is not a quantity"),
        "{problems:?}"
    );
    assert_eq!(problems[1], "requests `memory` must not be negative");
}

#[test]
fn host_ports_default_from_container_ports_with_host_network() {
    let ports = |pod: &str| {
        with_pod(pod, |view| {
            view.host_ports
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        })
    };
    let pod = "containers:\n- name: a\n  image: i\n  ports: [{containerPort: 9100}, {containerPort: 53, hostPort: 53, protocol: UDP}, {containerPort: 8080, hostPort: 80, hostIP: 10.0.0.1}]\n";
    assert_eq!(ports(pod), ["53/UDP", "10.0.0.1:80/TCP"]);
    assert_eq!(
        ports(&format!("hostNetwork: true\n{pod}")),
        ["9100/TCP", "53/UDP", "10.0.0.1:80/TCP"]
    );
    let a = pod::HostPort {
        port: 80,
        protocol: "TCP".into(),
        host_ip: String::new(),
    };
    let b = pod::HostPort {
        host_ip: "10.0.0.1".into(),
        ..a.clone()
    };
    let c = pod::HostPort {
        host_ip: "10.0.0.2".into(),
        ..a.clone()
    };
    let udp = pod::HostPort {
        protocol: "UDP".into(),
        ..a.clone()
    };
    assert!(a.conflicts(&b) && b.conflicts(&a));
    assert!(!b.conflicts(&c));
    assert!(!a.conflicts(&udp));
}

#[test]
fn percentages_round_up_like_the_daemonset_controller() {
    assert_eq!(scaled(&Amount::Percent(25), 40), 10);
    assert_eq!(scaled(&Amount::Percent(25), 41), 11);
    assert_eq!(scaled(&Amount::Percent(10), 3), 1);
    assert_eq!(scaled(&Amount::Percent(1), 1), 1);
    assert_eq!(scaled(&Amount::Percent(0), 40), 0);
    assert_eq!(scaled(&Amount::Percent(100), 7), 7);
    assert_eq!(scaled(&Amount::Count(3), 40), 3);
    assert_eq!(
        parse("1").ok(),
        Some(crate::k8s::quantity::Quantity::from_units(1))
    );
}

/// The rollout sentence and `(unavailable, surge)` for an update strategy on `desired` nodes.
fn rollout(api_version: &str, strategy: &str, desired: usize) -> (String, Option<i64>, i64) {
    let text = format!(
        "apiVersion: {api_version}\nkind: DaemonSet\nmetadata: {{name: t}}\nspec:\n{strategy}  template:\n    spec:\n      containers: [{{name: c, image: i}}]\n"
    );
    let docs: Vec<_> = documents(&text, Limits::default()).collect();
    let doc = docs[0].as_ref().expect("yaml");
    let ds = DaemonSet::from_object(manifest::objects(doc)[0]).expect("daemonset");
    let r = report::rollout(&ds, desired, desired);
    (r.text, r.unavailable_nodes, r.surge_nodes)
}

type RolloutCase<'a> = (&'a str, &'a str, usize, &'a str, Option<i64>, i64);

fn rolling(values: &str) -> String {
    format!("  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {values}\n")
}

#[test]
fn rollouts_resolve_max_unavailable_against_the_targeted_nodes() {
    // (apiVersion, updateStrategy, targeted nodes, sentence, unavailable nodes, surge nodes)
    let cases: &[RolloutCase<'_>] = &[
        (
            "apps/v1",
            "",
            40,
            "rolling update: maxUnavailable 1 (the default) of 40 nodes = 1 node without the agent at once",
            Some(1),
            0,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: 25%}"),
            40,
            "rolling update: maxUnavailable 25% of 40 nodes = 10 nodes without the agent at once",
            Some(10),
            0,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: 30%}"),
            7,
            "rolling update: maxUnavailable 30% of 7 nodes, rounded up = 3 nodes without the agent at once",
            Some(3),
            0,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: 100%}"),
            40,
            "rolling update: maxUnavailable 100% of 40 nodes = all 40 nodes without the agent at once",
            Some(40),
            0,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: 50}"),
            40,
            "rolling update: maxUnavailable 50 of 40 nodes = all 40 nodes without the agent at once",
            Some(40),
            0,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: 0, maxSurge: 25%}"),
            40,
            "rolling update: maxUnavailable 0 with maxSurge 25%: 10 nodes at a time run an old and a new pod, no node is left without the agent",
            Some(0),
            10,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: 0}"),
            40,
            "rolling update: maxUnavailable 0 and maxSurge 0: the controller falls back to 1 = 1 node without the agent at once",
            Some(1),
            0,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: lots}"),
            40,
            "maxUnavailable `lots` is invalid: the controller cannot update the pods",
            None,
            0,
        ),
        (
            "apps/v1",
            &rolling("{maxUnavailable: 25%}"),
            0,
            "rolling update: the DaemonSet targets no node",
            Some(0),
            0,
        ),
        (
            "apps/v1",
            "  updateStrategy: {type: OnDelete}\n",
            40,
            "update strategy OnDelete: pods are replaced only when someone deletes them",
            None,
            0,
        ),
        (
            "extensions/v1beta1",
            "",
            40,
            "update strategy OnDelete: pods are replaced only when someone deletes them",
            None,
            0,
        ),
    ];
    for (api, strategy, desired, text, unavailable, surge) in cases {
        assert_eq!(
            rollout(api, strategy, *desired),
            ((*text).to_string(), *unavailable, *surge),
            "{strategy}"
        );
    }
}
