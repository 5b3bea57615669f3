"""Is a download host reachable? Asked in seconds, before a library would retry for minutes.

Imports nothing but the standard library, so every layer may use it.
"""

from __future__ import annotations

import socket
import threading


def reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    """True when a TCP connection to ``host`` opens within ``timeout`` seconds.

    The name lookup is bounded too: on a machine without a name server,
    ``socket.create_connection`` can wait far longer than its own timeout
    inside the lookup, so the attempt runs in a thread we stop waiting for.
    """
    answer: list[bool] = []

    def attempt():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                answer.append(True)
        except OSError:
            answer.append(False)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return bool(answer and answer[0])
