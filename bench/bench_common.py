"""What the bench scripts share: where the built waitprof is, and a free TCP port."""
import os
import socket

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAITPROF = os.path.join(REPO, "build/daemon/waitprof")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
