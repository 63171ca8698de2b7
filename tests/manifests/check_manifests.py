#!/usr/bin/python3
"""Checks the deployment contract in manifests/ and the Dockerfile (issue 5, "Deploying").

Usage: check_manifests.py <repo root>

- every YAML file under manifests/ parses;
- the ClusterRole grants exactly the least-privilege rules below (no wildcards, no secrets
  list/watch, nothing extra) and the binding points at the operator's ServiceAccount;
- the Deployment runs the operator non-root with a read-only root filesystem, no privilege
  escalation, all capabilities dropped, RuntimeDefault seccomp, requests/limits and probes;
- names, namespaces and labels agree (Service selector -> pod labels, Deployment selector ->
  template labels, probe/service ports -> container ports, kustomization -> files);
- the example Secret and PartitionPolicy match (databaseRef) and the password is obviously fake;
- the Dockerfile builds from Debian packages only (no network downloads besides apt).

Exits 1 listing every violation; a missing python3-yaml module is a failure, not a skip.
"""

import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("FAIL: python3-yaml is not installed (apt-get install python3-yaml)")
    sys.exit(1)

NAMESPACE = "pgpart-system"
NAME = "pgpart-operator"
IMAGE = "pgpart:0.1.0"
ARGS = ["operator", "--metrics-bind=:9090", "--health-bind=:8081", "--leader-elect"]
# kustomize refuses files outside the kustomization's folder (`../crds/...` failed `kubectl apply
# -k manifests/` on a real kubectl): manifests/crds/ holds a copy of crds/, byte for byte.
CRD_PATH = "crds/partitionpolicies.pgpart.io.yaml"
CANONICAL_CRD = "../crds/partitionpolicies.pgpart.io.yaml"
BASE_RESOURCES = {"namespace.yaml", "serviceaccount.yaml", "rbac.yaml", "deployment.yaml",
                  "service-metrics.yaml", CRD_PATH}

# (apiGroup, resource) -> verbs. Exactly this, nothing more.
EXPECTED_RULES = {
    ("pgpart.io", "partitionpolicies"): {"get", "list", "watch"},
    ("pgpart.io", "partitionpolicies/status"): {"patch"},
    ("", "secrets"): {"get"},
    ("events.k8s.io", "events"): {"create"},
}
# The leader-election Lease: a Role in the operator's namespace, never a cluster-wide grant.
LEASE_ROLE = "pgpart-operator-leader-election"
EXPECTED_LEASE_RULES = [
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
     "resourceNames": ["pgpart-operator"], "verbs": ["get", "update"]},
]

RUNTIME_PACKAGES = ["libpqxx-6.4", "libyaml-cpp0.7", "libspdlog1.10", "libfmt9", "libssl3",
                    "tzdata", "ca-certificates"]

errors = []


def fail(message):
    errors.append(message)


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def parse_every_yaml(manifests):
    """Returns {relative path: [documents]} for every YAML file under manifests/."""
    docs = {}
    for root, _, files in os.walk(manifests):
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, manifests)
            try:
                docs[rel] = load_all(path)
            except yaml.YAMLError as e:
                fail(f"{rel}: does not parse: {e}")
    return docs


def objects_of_kind(docs, files, kind):
    return [d for f in files for d in docs.get(f, []) if isinstance(d, dict) and d.get("kind") == kind]


def only_one(docs, files, kind):
    found = objects_of_kind(docs, files, kind)
    if len(found) != 1:
        fail(f"expected exactly one {kind} in {files}, found {len(found)}")
        return None
    return found[0]


def check_rbac(docs):
    for f, ds in docs.items():
        for d in ds:
            if isinstance(d, dict) and d.get("kind") in ("Role", "RoleBinding"):
                meta = d.get("metadata", {})
                if meta.get("name") != LEASE_ROLE or meta.get("namespace") != NAMESPACE:
                    fail(f"{f}: unexpected {d['kind']} {meta.get('name')}")
    lease_role = only_one(docs, ["rbac.yaml"], "Role")
    lease_binding = only_one(docs, ["rbac.yaml"], "RoleBinding")
    if lease_role is not None and lease_role.get("rules") != EXPECTED_LEASE_RULES:
        fail(f"Role {LEASE_ROLE}: rules {lease_role.get('rules')}, want {EXPECTED_LEASE_RULES}")
    if lease_binding is not None:
        if lease_binding.get("roleRef") != {"apiGroup": "rbac.authorization.k8s.io",
                                            "kind": "Role", "name": LEASE_ROLE}:
            fail(f"RoleBinding {LEASE_ROLE}: roleRef {lease_binding.get('roleRef')}")
        if lease_binding.get("subjects") != [{"kind": "ServiceAccount", "name": NAME,
                                              "namespace": NAMESPACE}]:
            fail(f"RoleBinding {LEASE_ROLE}: subjects {lease_binding.get('subjects')}")
    role = only_one(docs, ["rbac.yaml"], "ClusterRole")
    binding = only_one(docs, ["rbac.yaml"], "ClusterRoleBinding")
    if role is None or binding is None:
        return
    if role.get("aggregationRule"):
        fail("ClusterRole: aggregationRule would grant more than its rules")
    granted = {}
    for i, rule in enumerate(role.get("rules") or []):
        extra = set(rule) - {"apiGroups", "resources", "verbs"}
        if extra:
            fail(f"ClusterRole rule {i}: unexpected fields {sorted(extra)} (resourceNames, "
                 "nonResourceURLs are not part of the contract)")
        groups = rule.get("apiGroups") or []
        resources = rule.get("resources") or []
        verbs = rule.get("verbs") or []
        for value in groups + resources + verbs:
            if "*" in str(value):
                fail(f"ClusterRole rule {i}: wildcard {value!r}")
        for g in groups:
            for r in resources:
                granted.setdefault((g, r), set()).update(verbs)
    for key in sorted(set(granted) | set(EXPECTED_RULES)):
        got = granted.get(key, set())
        want = EXPECTED_RULES.get(key, set())
        group = key[0] or "core"
        if got - want:
            fail(f"ClusterRole grants extra verbs {sorted(got - want)} on {group}/{key[1]}")
        if want - got:
            fail(f"ClusterRole misses verbs {sorted(want - got)} on {group}/{key[1]}")
    secrets = granted.get(("", "secrets"), set())
    if secrets & {"list", "watch"}:
        fail("ClusterRole must not list or watch Secrets")

    ref = binding.get("roleRef") or {}
    if ref != {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
               "name": role["metadata"]["name"]}:
        fail(f"ClusterRoleBinding.roleRef {ref} does not name ClusterRole "
             f"{role['metadata']['name']}")
    subjects = binding.get("subjects") or []
    if subjects != [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]:
        fail(f"ClusterRoleBinding.subjects must be exactly the ServiceAccount "
             f"{NAMESPACE}/{NAME}, got {subjects}")


def parse_quantity(value):
    """CPU or memory quantity -> float in base units (cores or bytes)."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    if not m or (m.group(2) and m.group(2) not in units):
        raise ValueError(f"bad quantity {text!r}")
    return float(m.group(1)) * units.get(m.group(2), 1)


def check_container_security(c, pod_sc):
    sc = c.get("securityContext") or {}

    def effective(key):
        return sc.get(key, pod_sc.get(key))

    if effective("runAsNonRoot") is not True:
        fail("container: runAsNonRoot must be true")
    if effective("runAsUser") != 65532:
        fail(f"container: runAsUser must be 65532, got {effective('runAsUser')}")
    if sc.get("readOnlyRootFilesystem") is not True:
        fail("container: readOnlyRootFilesystem must be true")
    if sc.get("allowPrivilegeEscalation") is not False:
        fail("container: allowPrivilegeEscalation must be false")
    if sc.get("privileged") not in (None, False):
        fail("container: privileged must not be set")
    caps = sc.get("capabilities") or {}
    if caps.get("drop") != ["ALL"]:
        fail(f"container: capabilities.drop must be [ALL], got {caps.get('drop')}")
    if caps.get("add"):
        fail(f"container: capabilities.add must be empty, got {caps.get('add')}")
    seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
    if seccomp != "RuntimeDefault":
        fail(f"container: seccompProfile.type must be RuntimeDefault, got {seccomp}")


def check_deployment(docs):
    dep = only_one(docs, ["deployment.yaml"], "Deployment")
    if dep is None:
        return None
    meta = dep.get("metadata") or {}
    if meta.get("name") != NAME or meta.get("namespace") != NAMESPACE:
        fail(f"Deployment must be {NAMESPACE}/{NAME}, got {meta.get('namespace')}/{meta.get('name')}")
    spec = dep.get("spec") or {}
    if spec.get("replicas") != 2:
        fail(f"Deployment.replicas must be 2, got {spec.get('replicas')}")
    template = spec.get("template") or {}
    pod_labels = (template.get("metadata") or {}).get("labels") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        fail(f"Deployment selector {selector} does not match pod labels {pod_labels}")
    pod = template.get("spec") or {}
    if pod.get("serviceAccountName") != NAME:
        fail(f"pod serviceAccountName must be {NAME}, got {pod.get('serviceAccountName')}")
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        fail("pod must not use host namespaces")
    containers = pod.get("containers") or []
    if len(containers) != 1:
        fail(f"pod must have exactly one container, got {len(containers)}")
        return pod_labels
    c = containers[0]
    if c.get("image") != IMAGE:
        fail(f"container image must be {IMAGE}, got {c.get('image')}")
    if c.get("args") != ARGS:
        fail(f"container args must be {ARGS}, got {c.get('args')}")
    check_container_security(c, pod.get("securityContext") or {})

    resources = c.get("resources") or {}
    for kind in ("requests", "limits"):
        for res in ("cpu", "memory"):
            if res not in (resources.get(kind) or {}):
                fail(f"container resources.{kind}.{res} is missing")
    for res in ("cpu", "memory"):
        try:
            req = parse_quantity(resources["requests"][res])
            lim = parse_quantity(resources["limits"][res])
            if req > lim:
                fail(f"container resources: {res} request {req} exceeds limit {lim}")
        except (KeyError, TypeError, ValueError) as e:
            fail(f"container resources.{res}: {e}")

    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
    if ports.get("metrics") != 9090 or ports.get("health") != 8081:
        fail(f"container ports must name metrics=9090 and health=8081, got {ports}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = (c.get(probe) or {}).get("httpGet") or {}
        if get.get("path") != path or get.get("port") not in (8081, "health"):
            fail(f"{probe} must GET {path} on 8081, got {get}")
    return pod_labels, ports


def check_names_and_service(docs, pod_labels, ports):
    ns = only_one(docs, ["namespace.yaml"], "Namespace")
    if ns is not None and ns["metadata"].get("name") != NAMESPACE:
        fail(f"Namespace must be {NAMESPACE}, got {ns['metadata'].get('name')}")
    sa = only_one(docs, ["serviceaccount.yaml"], "ServiceAccount")
    if sa is not None and (sa["metadata"].get("name"), sa["metadata"].get("namespace")) != (
            NAME, NAMESPACE):
        fail(f"ServiceAccount must be {NAMESPACE}/{NAME}")
    for f in BASE_RESOURCES:
        for d in docs.get(f, []):
            labels = (d.get("metadata") or {}).get("labels") or {}
            if labels.get("app.kubernetes.io/name") != "pgpart":
                fail(f"{f}: {d.get('kind')} lacks label app.kubernetes.io/name=pgpart")
            if d.get("kind") in ("ServiceAccount", "Deployment", "Service") and (
                    d["metadata"].get("namespace") != NAMESPACE):
                fail(f"{f}: {d.get('kind')} must be in namespace {NAMESPACE}")

    svc = only_one(docs, ["service-metrics.yaml"], "Service")
    if svc is None:
        return
    if svc["metadata"].get("namespace") != NAMESPACE:
        fail(f"metrics Service must be in {NAMESPACE}")
    selector = (svc.get("spec") or {}).get("selector") or {}
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        fail(f"metrics Service selector {selector} does not match pod labels {pod_labels}")
    svc_ports = (svc.get("spec") or {}).get("ports") or []
    if len(svc_ports) != 1 or svc_ports[0].get("port") != 9090:
        fail(f"metrics Service must expose exactly port 9090, got {svc_ports}")
    elif svc_ports[0].get("targetPort") not in ("metrics", 9090) or ports.get("metrics") != 9090:
        fail(f"metrics Service targetPort {svc_ports[0].get('targetPort')} is not the "
             "container's metrics port 9090")


def check_kustomization(manifests, docs):
    k = (docs.get("kustomization.yaml") or [None])[0]
    if not isinstance(k, dict):
        fail("kustomization.yaml is missing or empty")
        return
    resources = k.get("resources") or []
    if set(resources) != BASE_RESOURCES or len(resources) != len(BASE_RESOURCES):
        fail(f"kustomization resources must be exactly {sorted(BASE_RESOURCES)}, got {resources}")
    for r in resources:
        if r == CRD_PATH:
            continue  # written by the CRD author; checked below when present
        if not os.path.isfile(os.path.join(manifests, r)):
            fail(f"kustomization lists {r}, which does not exist")
    for r in resources:
        if r.startswith("../") or os.path.isabs(r):
            fail(f"kustomization lists {r}, outside manifests/: kustomize refuses it")
    crd_file = os.path.normpath(os.path.join(manifests, CRD_PATH))
    canonical = os.path.normpath(os.path.join(manifests, CANONICAL_CRD))
    if os.path.isfile(crd_file) and os.path.isfile(canonical):
        with open(crd_file, "rb") as a, open(canonical, "rb") as b:
            if a.read() != b.read():
                fail(f"manifests/{CRD_PATH} differs from crds/partitionpolicies.pgpart.io.yaml")
    if os.path.isfile(crd_file):
        crds = [d for d in load_all(crd_file) if d.get("kind") == "CustomResourceDefinition"]
        if [c["metadata"].get("name") for c in crds] != ["partitionpolicies.pgpart.io"]:
            fail(f"{CRD_PATH} must hold the CRD partitionpolicies.pgpart.io")
    else:
        print(f"note: {CRD_PATH} does not exist yet (the CRD is written separately)")


def crd_spec_properties(manifests):
    crd_file = os.path.normpath(os.path.join(manifests, CRD_PATH))
    if not os.path.isfile(crd_file):
        return None
    for d in load_all(crd_file):
        for v in (d.get("spec") or {}).get("versions") or []:
            if v.get("name") == "v1alpha1":
                schema = (v.get("schema") or {}).get("openAPIV3Schema") or {}
                return ((schema.get("properties") or {}).get("spec") or {}).get("properties")
    return None


def check_example(manifests, docs):
    secret = only_one(docs, ["example/secret.yaml"], "Secret")
    policy = only_one(docs, ["example/policy.yaml"], "PartitionPolicy")
    if secret is None or policy is None:
        return
    if policy.get("apiVersion") != "pgpart.io/v1alpha1":
        fail(f"example policy apiVersion must be pgpart.io/v1alpha1, got {policy.get('apiVersion')}")
    if secret["metadata"].get("namespace") != policy["metadata"].get("namespace"):
        fail("example Secret and PartitionPolicy must be in the same namespace")
    ref = (policy.get("spec") or {}).get("databaseRef") or {}
    if ref.get("secretName") != secret["metadata"].get("name"):
        fail(f"example databaseRef.secretName {ref.get('secretName')} is not the example Secret "
             f"{secret['metadata'].get('name')}")
    data = secret.get("stringData") or {}
    if "data" in secret:
        fail("example Secret must use stringData, not base64 data")
    if ref.get("key") != "dsn" or "dsn" not in data:
        fail(f"example databaseRef.key must be dsn and the Secret must hold it, got {ref}")
    password = re.search(r"password=(\S+)", str(data.get("dsn", "")))
    if not password or not re.search(r"CHANGE-?ME|not-a-real|example|fake", password.group(1),
                                     re.IGNORECASE):
        fail("example Secret's password must be an obvious placeholder (e.g. CHANGE-ME)")
    props = crd_spec_properties(manifests)
    if props is not None:
        unknown = set(policy.get("spec") or {}) - set(props)
        if unknown:
            fail(f"example policy uses spec keys the CRD does not define: {sorted(unknown)}")


def check_dockerfile(root):
    path = os.path.join(root, "Dockerfile")
    if not os.path.isfile(path):
        fail("Dockerfile is missing at the repository root")
        return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Join continuation lines; drop comments.
    lines = [l for l in text.replace("\\\n", " ").splitlines() if not l.lstrip().startswith("#")]
    body = "\n".join(lines)
    froms = re.findall(r"^FROM\s+(\S+)", body, re.MULTILINE)
    if froms != ["debian:bookworm", "debian:bookworm-slim"]:
        fail(f"Dockerfile stages must be debian:bookworm then debian:bookworm-slim, got {froms}")
    for bad in (r"\bcurl\b", r"\bwget\b", r"https?://", r"\bgit\s+clone\b", r"\bpip3?\s+install",
                r"\bnpm\b", r"\bgo\s+(get|install)\b", r"^ADD\s", r"apt-key", r"sources\.list"):
        m = re.search(bad, body, re.MULTILINE)
        if m:
            fail(f"Dockerfile downloads or adds sources outside apt: {m.group(0)!r}")
    runs = re.findall(r"^RUN\s+(.*)$", body, re.MULTILINE)
    stages = re.split(r"^FROM\s", body, flags=re.MULTILINE)[1:]
    if len(stages) == 2:
        runtime = stages[1]
        installed = set()
        for m in re.finditer(r"apt-get install ([^&|;]*)", runtime):
            installed.update(w for w in m.group(1).split() if not w.startswith("-"))
        for p in RUNTIME_PACKAGES:
            if p not in installed:
                fail(f"Dockerfile runtime stage does not install {p}")
        for p in installed:
            if p.endswith("-dev") or p in ("g++", "cmake", "postgresql-15"):
                fail(f"Dockerfile runtime stage installs build-only package {p}")
        check_packages_exist(sorted(installed))
        if not re.search(r"useradd\s.*--uid 65532", runtime):
            fail("Dockerfile runtime stage must create user 65532")
        users = re.findall(r"^USER\s+(\S+)", runtime, re.MULTILINE)
        if not users or users[-1].split(":")[0] != "65532":
            fail(f"Dockerfile must end as USER 65532, got {users}")
    if not re.search(r'^ENTRYPOINT \["/usr/local/bin/pgpart"\]\s*$', body, re.MULTILINE):
        fail('Dockerfile ENTRYPOINT must be ["/usr/local/bin/pgpart"]')
    if not any("cmake" in r for r in runs):
        fail("Dockerfile must build with cmake")


def check_packages_exist(packages):
    """Every package the runtime stage installs must be a Debian package apt knows."""
    try:
        out = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages],
                             capture_output=True, text=True, check=False)
    except FileNotFoundError:
        fail("apt-cache is not available to check the Dockerfile's package names")
        return
    known = set(re.findall(r"^Package: (\S+)$", out.stdout, re.MULTILINE))
    for p in packages:
        if p not in known:
            fail(f"Dockerfile installs {p}, which apt does not know")


def main():
    if len(sys.argv) != 2:
        print("usage: check_manifests.py <repo root>")
        return 2
    root = sys.argv[1]
    manifests = os.path.join(root, "manifests")
    docs = parse_every_yaml(manifests)
    check_rbac(docs)
    result = check_deployment(docs)
    pod_labels, ports = result if isinstance(result, tuple) else ({}, {})
    check_names_and_service(docs, pod_labels, ports)
    check_kustomization(manifests, docs)
    check_example(manifests, docs)
    check_dockerfile(root)
    for e in errors:
        print("FAIL:", e)
    print(f"{len(docs)} YAML files parsed, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
