#!/usr/bin/env python3
"""Checks crds/partitionpolicies.pgpart.io.yaml against the policy examples (issue 5).

1. The CRD is structural: every schema node has a type (or x-kubernetes-int-or-string /
   preserve-unknown-fields), and no node has both `properties` and `additionalProperties`.
2. Every document in policies/*.yaml (PartitionPolicy resources, as they are) and the loader-valid
   examples under tests/policy/testdata/ (CLI files: a missing databaseRef is added) validate
   against the schema (metadata.name and spec; Draft 7, int-or-string as anyOf integer/string, and
   additionalProperties: false everywhere so unknown keys fail as they do in the loader), and
   pass the CRD's CEL rules (mirrored below in Python; every rule must have a mirror).
3. The corpus of tests/crd/ (corpus.py): every document of invalid/ is rejected, at its
   `# field:` and nowhere else (error paths as the API server writes them: spec.tables[2],
   spec.databaseRef for a missing key); every document of valid/ is accepted.
Usage: validate_policies.py SOURCE_DIR. Exits non-zero on any failure (including a missing
jsonschema module: the test must fail, not skip).
"""
import glob
import os
import re
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
from corpus import load_all  # noqa: E402


def unitless(v):
    """An int-or-string distance without a unit: an integer one (integer keys)."""
    return isinstance(v, int) or re.search("[A-Za-z]", v) is None


def is_hash(s):
    return s.get("strategy") == "hash"


# Python mirrors of the CRD's CEL rules, keyed by the rule text (whitespace-normalised).
CEL_MIRRORS = {
    # A duration (int-or-string) longer than 0: an int passes (minimum 1 checks it), a string
    # must hold a non-zero digit ("0s", "0h0m" do not).
    "type(self) == int || self.matches('[1-9]')":
        lambda v: isinstance(v, int) or re.search("[1-9]", v) is not None,
    "(has(self.strategy) && self.strategy == 'hash') || has(self.interval)":
        lambda s: is_hash(s) or "interval" in s,
    "!has(self.modulus) || (has(self.strategy) && self.strategy == 'hash')":
        lambda s: "modulus" not in s or is_hash(s),
    "!(has(self.strategy) && self.strategy == 'hash') || has(self.modulus)":
        lambda s: not is_hash(s) or "modulus" in s,
    "!(has(self.strategy) && self.strategy == 'hash') || !has(self.defaultPartition) || "
    "!self.defaultPartition":
        lambda s: not is_hash(s) or not s.get("defaultPartition", False),
    # keep, dropDetachedAfter and start follow the interval's kind (integer or time keys).
    "!has(self.interval) || !has(self.retention) || !has(self.retention.keep) || "
    "(type(self.interval) == int || !self.interval.matches('[A-Za-z]')) == "
    "(type(self.retention.keep) == int || !self.retention.keep.matches('[A-Za-z]'))":
        lambda s: "interval" not in s or "retention" not in s or "keep" not in s["retention"]
        or unitless(s["interval"]) == unitless(s["retention"]["keep"]),
    "!has(self.interval) || !has(self.retention) || !has(self.retention.dropDetachedAfter) || "
    "(type(self.interval) == int || !self.interval.matches('[A-Za-z]')) == "
    "(type(self.retention.dropDetachedAfter) == int || "
    "!self.retention.dropDetachedAfter.matches('[A-Za-z]'))":
        lambda s: "interval" not in s or "retention" not in s
        or "dropDetachedAfter" not in s["retention"]
        or unitless(s["interval"]) == unitless(s["retention"]["dropDetachedAfter"]),
    "!has(self.interval) || !has(self.start) || "
    "(type(self.interval) == int || !self.interval.matches('[A-Za-z]')) == "
    "(type(self.start) == int || self.start.matches('^\\\\s*-?[0-9]+\\\\s*$'))":
        lambda s: "interval" not in s or "start" not in s
        or unitless(s["interval"]) == (isinstance(s["start"], int)
                                       or re.fullmatch(r"\s*-?[0-9]+\s*", s["start"]) is not None),
    "!has(self.convert) || has(self.column)": lambda s: "convert" not in s or "column" in s,
    "!has(self.convert) || !has(self.convert.primaryKey) || !has(self.column) || "
    "self.column in self.convert.primaryKey":
        lambda s: "convert" not in s or "primaryKey" not in s["convert"] or "column" not in s
        or s["column"] in s["convert"]["primaryKey"],
    "(has(self.action) && self.action == 'archive') == has(self.archiveSchema)":
        lambda r: (r.get("action") == "archive") == ("archiveSchema" in r),
    "!has(self.dropDetachedAfter) || (has(self.action) && self.action != 'drop')":
        lambda r: "dropDetachedAfter" not in r or r.get("action", "drop") != "drop",
    "has(self.partition) ? !has(self.from) && !has(self.to) : has(self.from) && has(self.to)":
        lambda h: ("from" not in h and "to" not in h) if "partition" in h
        else ("from" in h and "to" in h),
    "(self.kind == 'sql') == has(self.query)": lambda g: (g["kind"] == "sql") == ("query" in g),
    "(self.kind == 'archiver') == has(self.maxLag)":
        lambda g: (g["kind"] == "archiver") == ("maxLag" in g),
    "(self.kind == 'pgbackrest') == has(self.stanza)":
        lambda g: (g["kind"] == "pgbackrest") == ("stanza" in g),
    "(self.kind == 'command') == has(self.command)":
        lambda g: (g["kind"] == "command") == ("command" in g),
    "size(self) == 0 || self[0].matches('[^ \\t\\n\\r]')":
        lambda c: len(c) == 0 or re.search("[^ \t\n\r]", c[0]) is not None,
}
# A range-only key on a hash policy: one rule per key, each at its field.
for _key in ("interval", "premake", "start", "timeZone", "retention", "holds", "backupGate",
             "adopt", "convert"):
    CEL_MIRRORS[f"!has(self.{_key}) || !(has(self.strategy) && self.strategy == 'hash')"] = \
        lambda s, k=_key: k not in s or not is_hash(s)


def norm(rule):
    return " ".join(rule.split())


def structural_errors(node, path):
    errors = []
    if not isinstance(node, dict):
        return [f"{path}: not a mapping"]
    if "type" not in node and not node.get("x-kubernetes-int-or-string") \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        errors.append(f"{path}: no type")
    if "properties" in node and "additionalProperties" in node:
        errors.append(f"{path}: both properties and additionalProperties")
    if node.get("x-kubernetes-int-or-string") and "type" in node:
        errors.append(f"{path}: int-or-string must not set type")
    for name, child in node.get("properties", {}).items():
        errors += structural_errors(child, f"{path}.{name}")
    if "items" in node:
        errors += structural_errors(node["items"], f"{path}[]")
    if node.get("type") == "object" and "properties" not in node and path != ".metadata" \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        errors.append(f"{path}: object without properties")
    for rule in node.get("x-kubernetes-validations", []):
        if norm(rule["rule"]) not in CEL_MIRRORS:
            errors.append(f"{path}: CEL rule without a Python mirror in this test: {rule['rule']}")
    return errors


def join(path, key):
    return f"{path}.{key}" if path else key


def strict(node):
    """The schema jsonschema sees: int-or-string as anyOf, closed objects, no k8s extensions."""
    out = {k: v for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if node.get("x-kubernetes-list-type") == "set":  # the API server rejects duplicate items
        out["uniqueItems"] = True
    if node.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in node:
        out["properties"] = {k: strict(v) for k, v in node["properties"].items()}
        out["additionalProperties"] = False
    if "items" in node:
        out["items"] = strict(node["items"])
    return out


def cel_errors(schema, value, path):
    """Evaluates the mirrored CEL rules of `schema` and its children on `value`."""
    errors = []
    if value is None:
        return errors
    for rule in schema.get("x-kubernetes-validations", []):
        if not CEL_MIRRORS[norm(rule["rule"])](value):
            errors.append((path + rule.get("fieldPath", ""), rule["message"]))
    if isinstance(value, dict):
        for name, child in schema.get("properties", {}).items():
            if name in value:
                errors += cel_errors(child, value[name], join(path, name))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += cel_errors(schema["items"], item, f"{path}[{i}]")
    return errors


def error_paths(error):
    """Where the API server reports a jsonschema error: the missing or unknown key itself for
    required and additionalProperties, the repeated item for uniqueItems."""
    path = ""
    for p in error.absolute_path:
        path = f"{path}[{p}]" if isinstance(p, int) else join(path, p)
    if error.validator == "required":
        return [join(path, re.match(r"'(.+)' is a required property", error.message).group(1))]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return [join(path, k) for k in error.instance if k not in known]
    if error.validator == "uniqueItems":
        items = error.instance
        return [f"{path}[{i}]" for i in range(len(items)) if items[i] in items[:i]]
    return [path]


# As the API server goes: an unknown key fails the (strict) decoding, before any validation; a
# value of the wrong type, a missing required key, a value outside an enum or over a maximum
# size keeps the CEL rules from running ("some validation rules were not checked because the
# object was invalid"); other schema errors (minimum, pattern, minItems) do not.
CEL_SKIPPED_AFTER = {"type", "anyOf", "required", "enum", "maxLength", "maxItems",
                     "maxProperties"}


def doc_errors(top, validator, doc):
    """[(path, message)] of everything the schema and the CEL mirrors refuse in `doc`."""
    schema_errors = list(validator.iter_errors(doc))
    unknown = [e for e in schema_errors if e.validator == "additionalProperties"]
    if unknown:
        return [(p, e.message) for e in unknown for p in error_paths(e)]
    errors = [(p, e.message) for e in schema_errors for p in error_paths(e)]
    if any(e.validator in CEL_SKIPPED_AFTER for e in schema_errors):
        return errors
    return errors + cel_errors(top, doc, "")


def check_corpus(root, top, validator):
    failures = []
    cases, problems = corpus.read(root, "invalid")
    failures += problems
    for case in cases:
        if case.field is None:
            continue
        rel = os.path.relpath(case.path, root)
        errors = doc_errors(top, validator, case.doc)
        if not errors:
            failures.append(f"{rel}: accepted, expected a rejection at {case.field}")
        for path, message in errors:
            if not corpus.under(path, case.field):
                failures.append(f"{rel}: rejected at {path} ({message}), expected only at "
                                f"{case.field}")
    valid, problems = corpus.read(root, "valid")
    failures += problems
    for case in valid:
        for path, message in doc_errors(top, validator, case.doc):
            failures.append(f"{os.path.relpath(case.path, root)}: rejected at {path}: {message}")
    return failures, len(cases), len(valid)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    failures = []
    (crd,) = load_all(os.path.join(root, "crds", "partitionpolicies.pgpart.io.yaml"))
    names = crd["spec"]["names"]
    expect = {"kind": "PartitionPolicy", "plural": "partitionpolicies",
              "singular": "partitionpolicy", "shortNames": ["pp"]}
    for key, value in expect.items():
        if names.get(key) != value:
            failures.append(f"CRD names.{key} is {names.get(key)!r}, expected {value!r}")
    if crd["metadata"]["name"] != "partitionpolicies.pgpart.io" or \
            crd["spec"]["scope"] != "Namespaced" or crd["spec"]["group"] != "pgpart.io":
        failures.append("CRD name/scope/group wrong")
    (version,) = crd["spec"]["versions"]
    if version["name"] != "v1alpha1" or not version["served"] or not version["storage"] \
            or "status" not in version.get("subresources", {}):
        failures.append("v1alpha1 must be served, storage, with the status subresource")
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    if columns != ["Ready", "Reason", "Tables", "Covered-Until", "Pending", "Age"]:
        failures.append(f"printer columns {columns}")
    top = version["schema"]["openAPIV3Schema"]
    failures += structural_errors(top, "")
    schema = strict(top)
    # Kubernetes owns metadata: the CRD may only narrow name (and generateName).
    schema["properties"]["metadata"].pop("additionalProperties", None)
    # An integer is an int64, as the API server decodes JSON: a larger number is a float there,
    # of type "number" (refused where the schema says integer or int-or-string).
    int64 = jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, v: isinstance(v, int) and not isinstance(v, bool)
        and -2**63 <= v < 2**63)
    validator_cls = jsonschema.validators.extend(jsonschema.Draft7Validator, type_checker=int64)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema)

    files = sorted(glob.glob(os.path.join(root, "policies", "*.yaml")))
    # Every example under tests/policy/testdata/ is valid for the loader (`pgpart lint` passes
    # on each file); notes.txt is not a policy file.
    testdata = os.path.join(root, "tests", "policy", "testdata")
    files += sorted(glob.glob(os.path.join(testdata, "**", "*.yaml"), recursive=True))
    files += sorted(glob.glob(os.path.join(testdata, "**", "*.yml"), recursive=True))
    if len(glob.glob(os.path.join(root, "policies", "*.yaml"))) < 1:
        failures.append("no policies/*.yaml found")
    checked = 0
    for path in files:
        cli_only = path.startswith(testdata + os.sep)
        for i, doc in enumerate(load_all(path)):
            checked += 1
            where = f"{os.path.relpath(path, root)}#{i}"
            if doc.get("apiVersion") != "pgpart.io/v1alpha1" or doc.get("kind") != "PartitionPolicy":
                failures.append(f"{where}: not a pgpart.io/v1alpha1 PartitionPolicy")
            spec = doc.get("spec")
            if cli_only and isinstance(spec, dict) and "databaseRef" not in spec:
                # A policy file for the CLI (which takes --dsn); as a resource it needs the
                # databaseRef the operator connects with. policies/ are resources as they are.
                spec = {**spec, "databaseRef": {"secretName": "db"}}
            for path, message in doc_errors(top, validator, {**doc, "spec": spec}):
                failures.append(f"{where}: valid for the loader but rejected: {path}: {message}")
    corpus_failures, invalid, valid = check_corpus(root, top, validator)
    failures += corpus_failures

    for f in failures:
        print("FAIL", f)
    print(f"checked {checked} documents from {len(files)} files, {invalid} invalid and {valid} "
          f"valid corpus documents: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
