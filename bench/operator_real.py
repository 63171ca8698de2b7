#!/usr/bin/env python3
"""The measuring half of `bench/operator.sh --real-server` (standard library only).

  operator_real.py objects --namespaces N --per-namespace M --port P --premake K > FILE
      the Namespaces, DSN Secrets and PartitionPolicies to create (one multi-document YAML)
  operator_real.py measure --kubeconfig ADMIN --ca CA --audit-log LOG --operator-user USER
                           --policies N --edits E --idle-seconds S --resync-seconds R
                           --pid-file F --log L -- OPERATOR COMMAND...
      starts the operator, then measures: time until every policy is Ready, edit → applied
      latency, VmRSS / VmHWM, API requests (from the API server's audit log) while idle; prints
      the goals with PASS / MISS; exit 0 all met, 3 one missed, 1 error.

The cluster is watched (one list, then one watch stream) with the admin token: no polling, and
the clock stops when the watch delivers the status, within milliseconds of the operator's write.
"""

import argparse
import collections
import datetime
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

GROUP_PATH = "/apis/pgpart.io/v1alpha1"
GOAL_P99_S = 1.0
GOAL_RSS_MIB = 64.0
GOAL_REQUESTS = 1.0  # per policy per resync period, while idle


def objects(args):
    """Namespaces bench-op-NN, each with Secret `db` (its database's DSN) and policies tNNN."""
    out = []
    for n in range(args.namespaces):
        ns = f"bench-op-{n:02d}"
        out.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")
        dsn = f"host=127.0.0.1 port={args.port} user=postgres dbname=bench_op_{n:02d}"
        out.append(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {ns}\n"
                   f"type: Opaque\nstringData:\n  dsn: \"{dsn}\"\n")
        for t in range(args.per_namespace):
            out.append(
                f"apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata:\n"
                f"  name: t{t:03d}\n  namespace: {ns}\nspec:\n  tables: [public.t{t:03d}]\n"
                f"  column: created_at\n  interval: 1 month\n  timeZone: UTC\n"
                f"  premake: {args.premake}\n  databaseRef: {{secretName: db, key: dsn}}\n")
    sys.stdout.write("---\n".join(out))


class Api:
    """The API server as the admin of the kubeconfig: one keep-alive connection per thread."""

    def __init__(self, kubeconfig, ca):
        text = open(kubeconfig).read()
        url = urllib.parse.urlsplit(re.search(r"server:\s*(\S+)", text).group(1))
        self.host, self.port = url.hostname, url.port
        self.token = re.search(r"token:\s*(\S+)", text).group(1)
        self.ctx = ssl.create_default_context(cafile=ca)
        self.local = threading.local()

    def connect(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def headers(self, content_type=None):
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if content_type:
            h["Content-Type"] = content_type
        return h

    def call(self, method, path, body=None, content_type=None):
        for attempt in (0, 1):
            conn = getattr(self.local, "conn", None) or self.connect()
            self.local.conn = conn
            try:
                conn.request(method, path, body=None if body is None else json.dumps(body),
                             headers=self.headers(content_type))
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, json.loads(data) if data else {}
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise


def is_ready(obj):
    """Ready=True for the object's current generation (observedGeneration caught up)."""
    gen = obj["metadata"].get("generation")
    status = obj.get("status") or {}
    if status.get("observedGeneration") != gen:
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" and
               c.get("observedGeneration", gen) == gen for c in status.get("conditions") or [])


class Tracker:
    """List once, then one watch stream: per policy its generation and whether it is Ready."""

    def __init__(self, api):
        self.api = api
        self.cond = threading.Condition()
        self.gen = {}
        self.ready = set()
        self.error = None
        self.stop = False

    def _set(self, obj, deleted=False):
        key = obj["metadata"]["namespace"] + "/" + obj["metadata"]["name"]
        with self.cond:
            if deleted:
                self.gen.pop(key, None)
                self.ready.discard(key)
            else:
                self.gen[key] = obj["metadata"].get("generation")
                (self.ready.add if is_ready(obj) else self.ready.discard)(key)
            self.cond.notify_all()

    def start(self):
        rv = self._list()
        threading.Thread(target=self._watch, args=(rv,), daemon=True).start()

    def _list(self):
        status, body = self.api.call("GET", GROUP_PATH + "/partitionpolicies")
        if status != 200:
            raise RuntimeError(f"list partitionpolicies: HTTP {status}: {body.get('message')}")
        with self.cond:
            self.gen.clear()
            self.ready.clear()
        for item in body["items"]:
            self._set(item)
        return body["metadata"]["resourceVersion"]

    def _watch(self, rv):
        try:
            while not self.stop:
                conn = self.api.connect(timeout=400)
                conn.request("GET", f"{GROUP_PATH}/partitionpolicies?watch=true&resourceVersion="
                             f"{rv}&allowWatchBookmarks=true&timeoutSeconds=300",
                             headers=self.api.headers())
                resp = conn.getresponse()
                gone = resp.status == 410
                while not gone and not self.stop:
                    line = resp.readline()
                    if not line:
                        break
                    event = json.loads(line)
                    obj = event.get("object") or {}
                    if event["type"] == "ERROR":
                        gone = obj.get("code") == 410
                        break
                    rv = obj.get("metadata", {}).get("resourceVersion", rv)
                    if event["type"] != "BOOKMARK":
                        self._set(obj, deleted=event["type"] == "DELETED")
                conn.close()
                if gone:
                    rv = self._list()
        except Exception as e:  # reported by the waits
            with self.cond:
                self.error = f"watch failed: {e!r}"
                self.cond.notify_all()

    def wait(self, predicate, timeout):
        with self.cond:
            ok = self.cond.wait_for(lambda: self.error or predicate(), timeout)
            if self.error:
                raise RuntimeError(self.error)
            return bool(ok)

    def ready_count(self):
        with self.cond:
            return len(self.ready)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024.0  # MiB
    return out


def parse_ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def audit_requests(path, user):
    """The user's requests: auditID → (received epoch seconds, category)."""
    requests = {}
    with open(path) as f:
        for line in f:
            if user not in line:
                continue
            e = json.loads(line)
            if e.get("user", {}).get("username") != user:
                continue
            ref = e.get("objectRef") or {}
            what = ref.get("resource", e.get("requestURI", "?"))
            if ref.get("subresource"):
                what += "/" + ref["subresource"]
            code = (e.get("responseStatus") or {}).get("code", 0)
            requests[e["auditID"]] = (parse_ts(e["requestReceivedTimestamp"]),
                                      f"{e['verb']} {what}", code)
    return requests


def count_window(requests, start, end):
    counts = collections.Counter(cat for t, cat, _ in requests.values() if start <= t < end)
    return sum(counts.values()), counts


# Requests the operator sends because time passes (lease renewal, the watch and its relists), not
# because of any one policy: at another --resync they cost the same per minute.
def time_driven(category):
    return category.endswith(" leases") or category in ("watch partitionpolicies",
                                                        "list partitionpolicies")


def percentile(values, p):
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # nearest rank
    return ordered[int(rank) - 1]


def breakdown(counts):
    return ", ".join(f"{cat} {n}" for cat, n in sorted(counts.items(), key=lambda x: -x[1]))


def measure(args):
    api = Api(args.kubeconfig, args.ca)
    tracker = Tracker(api)
    tracker.start()
    if len(tracker.gen) != args.policies:
        raise RuntimeError(f"{len(tracker.gen)} PartitionPolicies in the cluster, expected "
                           f"{args.policies}")
    env = dict(os.environ, POD_NAMESPACE="pgpart-system", POD_NAME="pgpart-operator-bench")
    log = open(args.log, "w")
    wall0, t0 = time.time(), time.perf_counter()
    op = subprocess.Popen(args.command, stdout=log, stderr=subprocess.STDOUT, env=env)
    with open(args.pid_file, "w") as f:
        f.write(f"{op.pid}\n")
    try:
        return measure_running(args, api, tracker, op, wall0, t0)
    finally:
        if op.poll() is None:
            op.terminate()
            try:
                op.wait(30)
            except subprocess.TimeoutExpired:
                op.kill()


def measure_running(args, api, tracker, op, wall0, t0):
    n = args.policies
    print(f"operator started (pid {op.pid}): {' '.join(args.command)}", flush=True)

    # 1. Start → every policy Ready (the first reconcile of each creates its partitions).
    deadline = t0 + args.ready_timeout
    while not tracker.wait(lambda: len(tracker.ready) >= n, 5):
        if op.poll() is not None:
            raise RuntimeError(f"the operator exited ({op.returncode}); see {args.log}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {tracker.ready_count()} of {n} Ready after "
                               f"{args.ready_timeout} s; see {args.log}")
    ready_s = time.perf_counter() - t0
    wall_ready = time.time()
    mem_ready = proc_status(op.pid)
    print(f"all {n} Ready {ready_s:.1f} s after the operator started "
          f"({n / ready_s:.0f} policies/s)", flush=True)

    # 2. Edits: spec.premake + 1 on one policy at a time (round robin over the namespaces), each
    # timed from just before the PATCH to the watch event with the new generation Ready.
    keys = sorted(tracker.gen)
    by_ns = collections.defaultdict(list)
    for key in keys:
        by_ns[key.split("/")[0]].append(key)
    order = [k for group in zip(*by_ns.values()) for k in group]
    latencies = []
    wall_edits = time.time()
    for i in range(args.edits):
        key = order[i % len(order)]
        ns, name = key.split("/")
        premake = args.premake + 1 + i // len(order)
        start = time.perf_counter()
        status, body = api.call("PATCH", f"{GROUP_PATH}/namespaces/{ns}/partitionpolicies/{name}",
                                {"spec": {"premake": premake}}, "application/merge-patch+json")
        if status != 200:
            raise RuntimeError(f"PATCH {key}: HTTP {status}: {body.get('message')}")
        gen = body["metadata"]["generation"]
        ok = tracker.wait(lambda: tracker.gen.get(key, 0) >= gen and key in tracker.ready,
                          args.edit_timeout)
        if not ok:
            raise RuntimeError(f"{key} generation {gen} not Ready after {args.edit_timeout} s")
        latencies.append(time.perf_counter() - start)
    wall_edits_end = time.time()

    # 3. Idle: nothing changes; the operator resyncs, renews its lease, keeps its watch.
    mem_idle0 = proc_status(op.pid)
    wall_idle = time.time()
    time.sleep(args.idle_seconds)
    wall_idle_end = time.time()
    mem_end = proc_status(op.pid)
    if op.poll() is not None:
        raise RuntimeError(f"the operator exited ({op.returncode}); see {args.log}")
    if tracker.ready_count() != n:
        raise RuntimeError(f"only {tracker.ready_count()} of {n} Ready at the end")
    time.sleep(1)  # the last audit lines
    requests = audit_requests(args.audit_log, args.operator_user)

    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    rss = max(mem_ready["VmRSS"], mem_idle0["VmRSS"], mem_end["VmRSS"])
    hwm = max(mem_end["VmHWM"], rss)  # the kernel's peak can lag a reading by a few pages
    start_n, start_c = count_window(requests, wall0, wall_ready)
    edit_n, edit_c = count_window(requests, wall_edits, wall_edits_end)
    idle_n, idle_c = count_window(requests, wall_idle, wall_idle_end)
    idle_s = wall_idle_end - wall_idle
    per_policy = idle_n / n * args.resync_seconds / idle_s
    fixed = sum(c for cat, c in idle_c.items() if time_driven(cat))
    per_default = ((idle_n - fixed) / n * args.resync_seconds / idle_s  # once per resync
                   + fixed / n * 600 / idle_s)                         # per minute

    print()
    print(f"{'start → all Ready':28} {ready_s:8.1f} s      ({n} policies; operator requests "
          f"{start_n}: {breakdown(start_c)})")
    print(f"{'edit → applied p50':28} {p50 * 1000:8.0f} ms     ({len(latencies)} edits, "
          f"max {max(latencies) * 1000:.0f} ms; requests {edit_n}: {breakdown(edit_c)})")
    print(f"{'edit → applied p99':28} {p99 * 1000:8.0f} ms")
    print(f"{'VmRSS at ' + str(n) + ' policies':28} {rss:8.1f} MiB    (Ready "
          f"{mem_ready['VmRSS']:.1f}, after the edits {mem_idle0['VmRSS']:.1f}, "
          f"after idle {mem_end['VmRSS']:.1f})")
    print(f"{'VmHWM (peak)':28} {hwm:8.1f} MiB")
    print(f"{'idle requests':28} {idle_n:8d}        in {idle_s:.0f} s = "
          f"{idle_n * 60 / idle_s:.0f}/min: {breakdown(idle_c)}")
    print(f"{'  watch requests':28} {idle_c.get('watch partitionpolicies', 0):8d}")
    print(f"{'  status patches':28} {idle_c.get('patch partitionpolicies/status', 0):8d}")
    print(f"{'  per policy per resync':28} {per_policy:8.2f}        (--resync "
          f"{args.resync_seconds:g}s; at the default 10m, projected: {per_default:.2f})")
    refused = collections.Counter(f"{cat} {code}" for _, cat, code in requests.values()
                                  if code >= 400)
    print(f"{'answered >= 400, whole run':28} {sum(refused.values()):8d}        "
          f"{breakdown(refused)}")
    print()

    goals = [
        ("edit → applied p99", p99 <= GOAL_P99_S, f"{p99 * 1000:.0f} ms", "≤ 1000 ms"),
        (f"RSS at {n} policies (VmHWM)", hwm <= GOAL_RSS_MIB, f"{hwm:.1f} MiB", "≤ 64 MiB"),
        ("idle requests per policy per resync", per_policy <= GOAL_REQUESTS,
         f"{per_policy:.2f}", "≤ 1"),
    ]
    for name, ok, got, goal in goals:
        print(f"{'PASS' if ok else 'MISS'}: {name} {got} (goal {goal})")
    return 0 if all(ok for _, ok, _, _ in goals) else 3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("objects")
    o.add_argument("--namespaces", type=int, required=True)
    o.add_argument("--per-namespace", type=int, required=True)
    o.add_argument("--port", type=int, required=True)
    o.add_argument("--premake", type=int, required=True)
    m = sub.add_parser("measure")
    for flag in ("--kubeconfig", "--ca", "--audit-log", "--operator-user", "--pid-file", "--log"):
        m.add_argument(flag, required=True)
    for flag in ("--policies", "--edits", "--premake"):
        m.add_argument(flag, type=int, required=True)
    m.add_argument("--idle-seconds", type=float, required=True)
    m.add_argument("--resync-seconds", type=float, required=True)
    m.add_argument("--ready-timeout", type=float, default=600)
    m.add_argument("--edit-timeout", type=float, default=60)
    m.add_argument("command", nargs="+")
    args = parser.parse_args()
    if args.cmd == "objects":
        objects(args)
        return 0
    try:
        return measure(args)
    except (RuntimeError, OSError, http.client.HTTPException) as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
