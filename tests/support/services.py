"""Private copies of the outside services, started and broken by fault tests: a PostgreSQL cluster and a Redis
server of our own on free loopback ports, so stopping them never disturbs the shared ones other tests use."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.network import free_port


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """One PostgreSQL cluster in a temporary directory; ``restart`` is a real fast shutdown and start."""

    def __init__(self) -> None:
        binaries = _postgres_bin()
        if binaries is None:
            pytest.skip("PostgreSQL server binaries are not installed")
        self.bin = binaries
        self.port = free_port()
        # Not under pytest's tmp_path: that is private to root, and the server may run as another user.
        directory = self.directory = Path(tempfile.mkdtemp(prefix="mostik-pg-"))
        directory.chmod(0o755)
        self.data = directory / "data"
        self.sockets = directory / "sockets"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        # The server refuses to run as root; CI runs as root, so it runs as the packaged `postgres` user.
        self.user = "postgres" if os.geteuid() == 0 else None
        for path in (self.data, self.sockets):
            path.mkdir(parents=True)
        if self.user:
            account = pwd.getpwnam(self.user)
            for path in (directory, self.data, self.sockets):
                os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def _pg_ctl(self, *arguments: str) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        # The log file keeps the server's output off our pipes (or `run` would wait for the server to exit).
        log = ("-l", str(self.data / "server.log"))
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", *log, *arguments)

    def start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self._pg_ctl("start")

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.skip("redis-server is not installed")
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
