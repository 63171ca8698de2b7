#!/usr/bin/env python3
"""The corpus of tests/crd/ (tests/crd/corpus.py) against the real API server.

Every document of tests/crd/invalid/ is refused by `kubectl apply --dry-run=server
--validate=strict` (schema and CEL of the installed CRD), with each `# server:` fragment in the
message and every error the server lists at the document's `# field:` (or inside it); every
document of tests/crd/valid/ is admitted.
Usage: corpus_check.py KUBECTL NAMESPACE SOURCE_DIR (KUBECONFIG set, CRD installed, namespace
there). Exits non-zero on any failure.
"""
import concurrent.futures
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crd"))
import corpus  # noqa: E402

# Said next to the real errors when CEL rules were skipped because of them.
SKIPPED = "some validation rules were not checked because the object was invalid"


def error_fields(out):
    """The field of each error in kubectl's message, or None when it is not a refusal."""
    if "strict decoding error:" in out:
        return re.findall(r'(?:unknown|duplicate) field "([^"]+)"', out)
    match = re.search(r' is invalid: (.*)', out, re.S)
    if match is None:
        return None
    body = match.group(1).strip()
    items = re.split(r"^\* ", body, flags=re.M) if body.startswith("* ") else [body]
    return [item.split(": ", 1)[0] for item in items if item.strip() and SKIPPED not in item]


def apply(kubectl, namespace, path):
    run = subprocess.run([kubectl, "-n", namespace, "apply", "--dry-run=server",
                          "--validate=strict", "-f", path],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return run.returncode, run.stdout


def check_invalid(kubectl, namespace, root, case):
    rel = os.path.relpath(case.path, root)
    rc, out = apply(kubectl, namespace, case.path)
    if rc == 0:
        return [f"{rel}: admitted, expected a rejection at {case.field}"]
    failures = [f"{rel}: the server does not say '{fragment}': {out.strip()}"
                for fragment in case.server if fragment not in out]
    fields = error_fields(out)
    if not fields:
        failures.append(f"{rel}: no field-level error in: {out.strip()}")
    for field in fields or []:
        if not corpus.under(field, case.field):
            failures.append(f"{rel}: rejected at {field} too, expected only at {case.field}: "
                            f"{out.strip()}")
    return failures


def main():
    kubectl, namespace, root = sys.argv[1:4]
    invalid, failures = corpus.read(root, "invalid")
    valid, problems = corpus.read(root, "valid")
    failures += problems
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for result in pool.map(lambda c: check_invalid(kubectl, namespace, root, c), invalid):
            failures += result
    for case in valid:
        rc, out = apply(kubectl, namespace, case.path)
        if rc != 0:
            failures.append(f"{os.path.relpath(case.path, root)}: refused: {out.strip()}")
    for f in failures:
        print("FAIL", f)
    print(f"{len(invalid)} invalid and {len(valid)} valid documents checked against the real API "
          f"server: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
