"""Standalone real API server, like the fakes' standalone mode:

    python tests/realcluster/serve.py --port 0 --kubeconfig-out FILE
    python tests/realcluster/serve.py --control-plane [--nodes N] [--node-gpus N] --port 0 \\
        --kubeconfig-out FILE

prints its URL as the first stdout line, writes an admin kubeconfig to FILE and one for user
`dev` (no rights until bound) to FILE-dev, and serves until SIGTERM or SIGINT. With
--control-plane, kube-controller-manager, kube-scheduler, kwok (fake GPU nodes) and KServe's
controller run beside it (tests/realcluster/control_plane.py).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.realcluster.control_plane import ControlPlane  # noqa: E402
from tests.realcluster.server import DEV_TOKEN, RealAPIServer  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--kubeconfig-out", required=True)
    parser.add_argument("--namespace", default=None, help="context namespace of both kubeconfigs")
    parser.add_argument("--control-plane", action="store_true",
                        help="also run the controllers, the scheduler, kwok nodes and KServe")
    parser.add_argument("--nodes", type=int, default=1, help="fake nodes (--control-plane)")
    parser.add_argument("--node-gpus", type=int, default=8,
                        help="nvidia.com/gpu capacity of each fake node (--control-plane)")
    args = parser.parse_args(argv)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    if args.control_plane:
        plane = ControlPlane(nodes=args.nodes, node_gpus=args.node_gpus, port=args.port).start()
        server, stop = plane.api, plane.stop
    else:
        server = RealAPIServer(port=args.port).start()
        stop = server.stop
    try:
        server.kubeconfig(args.kubeconfig_out, namespace=args.namespace)
        server.kubeconfig(args.kubeconfig_out + "-dev", token=DEV_TOKEN, user="dev",
                          namespace=args.namespace)
        print(server.url, flush=True)
        while not done.wait(0.5):
            pass
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
