#!/usr/bin/python3
"""Checks helm/pgpart/ against manifests/ (issue 5, "Deploying"); run by render_test.sh.

Usage: check_chart.py <repo root> <render command: render [-f VALUES] CHART RELEASE NAMESPACE>
(render_test.sh makes it run the real `helm template`.)

- the chart's crds/ holds the same CRD as crds/ at the repo root (byte for byte);
- with default values (release pgpart, namespace pgpart-system) the chart renders exactly the
  objects manifests/kustomization.yaml lists (kind, name, namespace and full bodies), ignoring
  only the Helm-only labels below;
- overrides take effect: image tag, watchNamespace (Role/RoleBinding + --namespace), leader
  election off (no --leader-elect, no lease rule), metrics off (no Service, no --metrics-bind),
  resources, scheduling fields and pod annotations.

Exits 1 listing every violation; a missing python3-yaml module is a failure, not a skip.
"""

import copy
import os
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("FAIL: python3-yaml is not installed (apt-get install python3-yaml)")
    sys.exit(1)

HELM_ONLY_LABELS = {"helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance"}
LEASE_RULES = [
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
     "resourceNames": ["pgpart-operator"], "verbs": ["get", "update"]},
]

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def key(obj):
    meta = obj.get("metadata", {})
    return (obj.get("kind"), meta.get("name"), meta.get("namespace"))


def strip_helm_labels(obj):
    obj = copy.deepcopy(obj)

    def strip(meta):
        labels = meta.get("labels") if meta else None
        if labels:
            for label in HELM_ONLY_LABELS:
                labels.pop(label, None)

    strip(obj.get("metadata"))
    template = obj.get("spec", {}).get("template") if obj.get("kind") == "Deployment" else None
    if template:
        strip(template.get("metadata"))
    return obj


def render(root, binary, overrides=None):
    args = [binary]
    if overrides is not None:
        fd, path = tempfile.mkstemp(suffix=".yaml")
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump(overrides, f)
        args += ["-f", path]
    args += [os.path.join(root, "helm", "pgpart"), "pgpart", "pgpart-system"]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        failures.append(f"render {overrides} failed: {out.stderr.strip()}")
        return {}
    objs = {}
    for doc in yaml.safe_load_all(out.stdout):
        if doc is None:
            continue
        check(key(doc) not in objs, f"render {overrides}: duplicate object {key(doc)}")
        objs[key(doc)] = doc
    return objs


def manifests_objects(root):
    base = os.path.join(root, "manifests")
    with open(os.path.join(base, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    objs = {}
    for res in kustomization["resources"]:
        if res.startswith("crds/"):
            continue  # Helm installs crds/ itself; compared as files below.
        with open(os.path.join(base, res)) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    objs[key(doc)] = doc
    return objs


def container(objs):
    dep = objs.get(("Deployment", "pgpart-operator", "pgpart-system"))
    if not check(dep is not None, "no Deployment pgpart-operator in pgpart-system"):
        return {}, {}
    return dep, dep["spec"]["template"]["spec"]["containers"][0]


def main():
    root, binary = sys.argv[1], sys.argv[2]

    # CRD: the chart's copy must not drift from the one the policy tests validate against.
    with open(os.path.join(root, "crds", "partitionpolicies.pgpart.io.yaml"), "rb") as f:
        crd = f.read()
    chart_crd = os.path.join(root, "helm", "pgpart", "crds", "partitionpolicies.pgpart.io.yaml")
    with open(chart_crd, "rb") as f:
        check(f.read() == crd, "helm/pgpart/crds/ differs from crds/partitionpolicies.pgpart.io.yaml")

    # Defaults == manifests/, but for the Namespace: helm's --create-namespace makes it, and a
    # chart-rendered Namespace would belong to the release (helm uninstall would delete it).
    want = manifests_objects(root)
    check(want.pop(("Namespace", "pgpart-system", None), None) is not None,
          "manifests/ has no Namespace pgpart-system")
    got = render(root, binary)
    ns_objs = render(root, binary, {"createNamespace": True})
    check(("Namespace", "pgpart-system", None) in ns_objs,
          "createNamespace: true renders no Namespace")
    check(len(want) >= 6, f"manifests/ lists only {len(want)} objects")
    for k in sorted(set(want) | set(got), key=str):
        if check(k in got, f"defaults: chart does not render {k}") and \
           check(k in want, f"defaults: chart renders {k}, which manifests/ does not have"):
            g = strip_helm_labels(got[k])
            check(g == want[k], f"defaults: {k} differs from manifests/:\n"
                  f"  chart:     {g}\n  manifests: {want[k]}")
    for k, obj in got.items():
        labels = obj["metadata"].get("labels", {})
        check(labels.get("app.kubernetes.io/managed-by") == "Helm",
              f"defaults: {k} lacks app.kubernetes.io/managed-by: Helm")

    # Image, replicas, resources, scheduling, annotations.
    # Helm deep-merges -f files over values.yaml; null deletes a default (here: the CPU limit).
    resources = {"requests": {"cpu": "100m", "memory": "64Mi"},
                 "limits": {"cpu": None, "memory": "256Mi"}}
    want_resources = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
    objs = render(root, binary, {
        "image": {"repository": "registry.example/pgpart", "tag": "9.9.9", "pullPolicy": "Always"},
        "replicas": 3, "resources": resources,
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "podAnnotations": {"prometheus.io/scrape": "true"}})
    dep, c = container(objs)
    if c:
        check(c["image"] == "registry.example/pgpart:9.9.9", f"image override: {c['image']}")
        check(c["imagePullPolicy"] == "Always", "pullPolicy override ignored")
        check(c["resources"] == want_resources, f"resources override: {c['resources']}")
        check(dep["spec"]["replicas"] == 3, "replicas override ignored")
        pod = dep["spec"]["template"]
        check(pod["spec"].get("nodeSelector") == {"kubernetes.io/os": "linux"}, "nodeSelector")
        check(pod["spec"].get("tolerations", [{}])[0].get("key") == "dedicated", "tolerations")
        check("affinity" not in pod["spec"], "empty affinity rendered")
        check(pod["metadata"].get("annotations") == {"prometheus.io/scrape": "true"},
              "podAnnotations")

    # Namespace-scoped: watching foo from pgpart-system.
    objs = render(root, binary, {"watchNamespace": "foo"})
    kinds = {k[0] for k in objs}
    check(not kinds & {"ClusterRole", "ClusterRoleBinding"},
          "watchNamespace: cluster-wide RBAC still rendered")
    role = objs.get(("Role", "pgpart-operator", "foo"))
    binding = objs.get(("RoleBinding", "pgpart-operator", "foo"))
    if check(role is not None, "watchNamespace: no Role pgpart-operator in foo"):
        cluster_rules = want[("ClusterRole", "pgpart-operator", None)]["rules"]
        check(role["rules"] == [r for r in cluster_rules if r not in LEASE_RULES],
              f"watchNamespace: Role in foo has rules {role['rules']}")
    if check(binding is not None, "watchNamespace: no RoleBinding pgpart-operator in foo"):
        check(binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                     "name": "pgpart-operator"}, "RoleBinding roleRef")
        check(binding["subjects"] == [{"kind": "ServiceAccount", "name": "pgpart-operator",
                                       "namespace": "pgpart-system"}], "RoleBinding subjects")
    lease = objs.get(("Role", "pgpart-operator-leader-election", "pgpart-system"))
    if check(lease is not None, "watchNamespace: no Lease Role in the operator namespace"):
        check(lease["rules"] == LEASE_RULES, f"lease Role rules {lease['rules']}")
    check(("RoleBinding", "pgpart-operator-leader-election", "pgpart-system") in objs,
          "watchNamespace: no Lease RoleBinding")
    _, c = container(objs)
    if c:
        check("--namespace=foo" in c["args"], f"watchNamespace: args {c['args']}")

    # Watching the operator's own namespace: one Role holding the lease rule too.
    objs = render(root, binary, {"watchNamespace": "pgpart-system"})
    role = objs.get(("Role", "pgpart-operator", "pgpart-system"))
    if check(role is not None, "watchNamespace=own: no Role"):
        check(role["rules"][-2:] == LEASE_RULES, "watchNamespace=own: lease rules missing")
    check(not any(k[1].endswith("-leader-election") for k in objs),
          "watchNamespace=own: a separate lease Role is rendered")

    # Leader election off.
    for overrides in ({"leaderElection": {"enabled": False}},
                      {"leaderElection": {"enabled": False}, "watchNamespace": "foo"}):
        objs = render(root, binary, overrides)
        _, c = container(objs)
        if c:
            check("--leader-elect" not in c["args"], f"{overrides}: --leader-elect kept")
        for k, obj in objs.items():
            if k[0] in ("Role", "ClusterRole"):
                check(not any(r in obj["rules"] for r in LEASE_RULES),
                      f"{overrides}: {k} keeps the lease rules")

    # Metrics off / other port.
    objs = render(root, binary, {"metrics": {"enabled": False}})
    check(not any(k[0] == "Service" for k in objs), "metrics off: Service still rendered")
    _, c = container(objs)
    if c:
        check(not any(a.startswith("--metrics-bind") for a in c["args"]),
              f"metrics off: args {c['args']}")
        check(all(p["name"] != "metrics" for p in c["ports"]), "metrics off: port kept")
    objs = render(root, binary, {"metrics": {"port": 9200}, "createNamespace": False})
    _, c = container(objs)
    if c:
        check("--metrics-bind=:9200" in c["args"], f"metrics port: args {c['args']}")
    svc = objs.get(("Service", "pgpart-operator-metrics", "pgpart-system"))
    if check(svc is not None, "metrics port: no Service"):
        check(svc["spec"]["ports"][0]["port"] == 9200, "metrics port: Service port")
    check(not any(k[0] == "Namespace" for k in objs), "createNamespace false: Namespace rendered")

    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print("chart OK: defaults match manifests/, overrides take effect")


if __name__ == "__main__":
    main()
