"""A throwaway PostgreSQL cluster for the tests: Debian's server (`initdb`, `pg_ctl` from
/usr/lib/postgresql/N/bin) in a temporary folder, listening on a free loopback port, stopped at the
end. PostgreSQL refuses to run as root, so under root the cluster belongs to an unprivileged user
(`postgres` when Debian made one, else `nobody`). Each test gets a database of its own."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from eval.server import free_port

USER = "gridtriage"


def server_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class Cluster:
    """A running PostgreSQL cluster in `folder`; `database()` makes an empty database for one test."""

    def __init__(self) -> None:
        bin_dir = server_bin()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL server: run scripts/setup-system (apt-get install postgresql)")
        # in /tmp itself: pytest's own folders are private to the user running the tests
        folder = Path(tempfile.mkdtemp(prefix="gridtriage-pg-"))
        self.bin, self.folder, self.port = bin_dir, folder, free_port()
        self.data = folder / "data"
        self._owner = _unprivileged_user() if os.geteuid() == 0 else None
        self._names = itertools.count(1)
        if self._owner is not None:
            shutil.chown(folder, self._owner, self._owner)
            folder.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(folder / "server.log"), "-w", "-t", "60", "start",
                  "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={folder} "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command: Sequence[str] = [str(self.bin / program), *args]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if check and done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{program} failed: {done.stderr.strip()}"
                               + (f"\n{log.read_text()[-2000:]}" if log.exists() else ""))


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root with neither a postgres nor a nobody user to run PostgreSQL as")
