"""`gridtriage serve` as a subprocess on loopback, for the API benchmark and the tests that drive a
real server: a free port, and a server started there that answers /healthz."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, port: int, extra: list[str] | None = None,
                 log: Path | None = None) -> subprocess.Popen[bytes]:
    """`gridtriage serve` on the database `db` at `port` (template drafting, plus the `extra` options),
    once it answers /healthz; its output goes to `log` when given. Raises RuntimeError when it exits
    or does not answer within 180 s."""
    exe = str(Path(sys.executable).with_name("gridtriage"))
    out = log.open("wb") if log else None
    try:
        proc = subprocess.Popen([exe, "serve", "--db", db, "--port", str(port), "--llm", "none", *(extra or [])],
                                stdout=out or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                env={**os.environ, "NO_COLOR": "1"})
    finally:
        if out:
            out.close()  # the server has its own descriptor
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gridtriage serve exited with {proc.returncode}"
                               + (f": {log.read_text()[-2000:]}" if log else ""))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("gridtriage serve did not answer /healthz within 180 s")


def wait_for_workers(base: str, workers: int, timeout_s: float = 180) -> int:
    """Until `workers` different processes have answered /healthz (each names itself, once it has
    loaded its models); returns how many did within `timeout_s`."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while len(seen) < workers and time.monotonic() < deadline:
        seen.add(httpx.get(f"{base}/healthz", timeout=10).json()["worker"])
        time.sleep(0.05)
    return len(seen)
