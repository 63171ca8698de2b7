"""The PartitionPolicy corpus of tests/crd/ (issue 14 item 7), read by every check of it.

tests/crd/invalid/NAME.yaml: one PartitionPolicy the API server must refuse, headed by comments:
    # why it is invalid (free text)
    # field: spec.tables[2]                       the one field it is invalid at
    # server: spec.tables[2]: Duplicate value     what the real API server says (a fragment of
                                                  its message, naming the field); one or more
tests/crd/valid/NAME.yaml: one PartitionPolicy the API server and the operator must accept (cases
near a rule's edge).
metadata.name is NAME (unless it is the field). The same files are checked offline against the CRD schema and the Python
mirrors of its CEL rules (validate_policies.py), against the real API server
(tests/envtest/real_server_test.sh invalid) and by the operator's loader
(tests/operator/crd_corpus_test.cc), so the three cannot drift apart.
"""
import glob
import os
import re

import yaml


class Loader(yaml.SafeLoader):
    """YAML as Kubernetes reads it into JSON: dates stay strings."""


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.load_all(f, Loader=Loader) if d is not None]


class Case:
    def __init__(self, path, doc, field, server):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.doc = doc
        self.field = field
        self.server = server


def under(path, field):
    """Whether error path `path` is `field` or inside it (spec.holds[0].to is in spec.holds)."""
    return path == field or path.startswith(field + ".") or path.startswith(field + "[")


def read(root, kind):
    """(cases, problems) of tests/crd/<kind>/ ("invalid" or "valid"); problems are format errors."""
    cases, problems = [], []
    paths = sorted(glob.glob(os.path.join(root, "tests", "crd", kind, "*.yaml")))
    if not paths:
        problems.append(f"tests/crd/{kind}/ holds no *.yaml")
    for path in paths:
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        fields = re.findall(r"^# field: (.+?)\s*$", text, re.M)
        server = re.findall(r"^# server: (.+?)\s*$", text, re.M)
        docs = load_all(path)
        if len(docs) != 1:
            problems.append(f"{rel}: {len(docs)} documents, expected one")
            continue
        doc = docs[0]
        case = Case(path, doc, fields[0] if fields else None, server)
        if doc.get("apiVersion") != "pgpart.io/v1alpha1" or doc.get("kind") != "PartitionPolicy":
            problems.append(f"{rel}: not a pgpart.io/v1alpha1 PartitionPolicy")
        if (doc.get("metadata") or {}).get("name") != case.name and case.field != "metadata.name":
            problems.append(f"{rel}: metadata.name must be {case.name}")
        if kind == "invalid":
            if len(fields) != 1 or not server:
                problems.append(f"{rel}: needs one '# field:' line and at least one '# server:'")
                continue
            for fragment in server:
                if case.field not in fragment:
                    problems.append(f"{rel}: '# server: {fragment}' does not name {case.field}")
        elif fields or server:
            problems.append(f"{rel}: a valid case has no '# field:' or '# server:'")
        cases.append(case)
    return cases, problems
