"""A real PostgreSQL server for the tests that load into one: started once per session (per xdist worker).

Debian's PostgreSQL (`/usr/lib/postgresql/N/bin`, or `initdb` on PATH), in a temporary directory of its
own (owned by `postgres` when the tests run as root: initdb refuses root), on a free port of 127.0.0.1
with its socket in that directory, fsync off. Two ways in: the superuser over the socket (trust), and the
role `loader` over TCP with a password (scram), which is how the tests load, so that a password is there
to leak. Each test gets a schema of its own (`pg_target`).

Without the binaries the tests that need the server are skipped, except in CI (env CI set): there a
missing PostgreSQL fails them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "pw-" + "Zq7x" * 4  # long enough that masking.py masks it wherever it appears
USER = "loader"
DATABASE = "exportctl"


@dataclass(frozen=True)
class PgServer:
    bindir: Path
    socket_dir: Path
    port: int

    @property
    def url(self) -> str:
        """The `loader` role's URL, password and all (what a user types)."""
        return f"postgres://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def superuser(self) -> str:
        return self.superuser_of(DATABASE)

    def superuser_of(self, database: str) -> str:
        return f"postgresql:///{database}?host={self.socket_dir}&port={self.port}&user=postgres"

    def into(self, schema: str, table: str) -> str:
        return f"{self.url}?schema={schema}#{table}"

    def connect(self, schema: str | None = None, *, superuser: bool = True) -> Any:
        import psycopg
        from psycopg.types.string import TextLoader

        conn = psycopg.connect(self.superuser if superuser else self.url, autocommit=True)
        conn.adapters.register_loader("jsonb", TextLoader)  # JSONB read as its text, as the other engines
        conn.execute("SET TimeZone TO 'UTC'")
        if schema is not None:
            conn.execute(f'SET search_path TO "{schema}"')
        return conn

    def query(self, schema: str, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """`sql` with `?` parameters in `schema`."""
        with self.connect(schema) as conn:
            if not parameters:  # the text as it is: a quoted identifier may hold `?` or `%`
                return list(conn.execute(sql).fetchall())
            return list(conn.execute(sql.replace("%", "%%").replace("?", "%s"), list(parameters)).fetchall())


def find_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(os.path.realpath(initdb)).parent if initdb else None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str]) -> None:
    subprocess.run(_as_postgres(command), check=True, capture_output=True, text=True, cwd="/")


def start_server(root: Path, bindir: Path) -> PgServer:
    data = root / "data"
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"])
    (data / "pg_hba.conf").write_text(
        "local all all trust\nhost all postgres 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 scram-sha-256\n"
    )
    for _attempt in range(5):
        port = _free_port()
        settings = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=40 -c shared_buffers=32MB"
        )
        try:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", settings, "-l", str(root / "log"), "-w", "start"])
        except subprocess.CalledProcessError:
            continue
        server = PgServer(bindir, root, port)
        import psycopg

        with psycopg.connect(server.superuser_of("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
            conn.execute(f"CREATE DATABASE {DATABASE} OWNER {USER}")
        return server
    raise RuntimeError(f"PostgreSQL did not start; see {root / 'log'}")


def stop_server(root: Path, bindir: Path) -> None:
    with contextlib.suppress(subprocess.CalledProcessError, OSError):
        _run([str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"])
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    bindir = find_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server binaries (initdb, pg_ctl) are missing; CI installs `postgresql`.")
        pytest.skip("PostgreSQL's server binaries are not installed")
    pytest.importorskip("psycopg")
    root = Path(tempfile.mkdtemp(prefix="exportctl-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    try:
        server = start_server(root, bindir)
    except BaseException:
        stop_server(root, bindir)
        raise
    yield server
    stop_server(root, bindir)


@pytest.fixture
def pg_schema(postgres_server: PgServer) -> str:
    """A schema name of this test's own (not yet created: the first load creates it)."""
    return f"t_{secrets.token_hex(6)}"
