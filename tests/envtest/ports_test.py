#!/usr/bin/env python3
"""scripts/envtest takes a port as busy when an outgoing connection uses it as its local port.

etcd failed to start now and then ("bind: address already in use") on a port scripts/envtest had
found free: it only looked at listening sockets, and the port was the local end of some client's
connection. Here a connection holds port P, and `PGPART_ENVTEST_PORT=P scripts/envtest start`
must refuse P at once instead of starting etcd and the API server on it.
Usage: ports_test.py SOURCE_DIR (PGPART_ENVTEST_BIN set). Exits non-zero on failure.
"""
import os
import socket
import subprocess
import sys
import tempfile


def main():
    script = os.path.join(sys.argv[1], "scripts", "envtest")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.socket()
    client.bind(("127.0.0.1", 0))
    port = client.getsockname()[1]
    client.connect(server.getsockname())
    with tempfile.TemporaryDirectory() as run_dir:
        env = dict(os.environ, PGPART_ENVTEST_DIR=run_dir, PGPART_ENVTEST_PORT=str(port))
        try:
            run = subprocess.run([script, "start"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=120)
        finally:
            subprocess.run([script, "stop"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    expected = f"port {port} on 127.0.0.1 is in use"
    if run.returncode == 0 or expected not in run.stdout:
        print(f"FAIL: start with port {port} held by a connection: rc {run.returncode}, "
              f"expected '{expected}':\n{run.stdout}")
        return 1
    print(f"PASS: port {port}, the local end of a connection, is refused: {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
