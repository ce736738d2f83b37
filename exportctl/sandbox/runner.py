"""`Sandbox`: the store, the worker and the HTTP server started together, in-process or for the CLI."""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

from exportctl.sandbox import generator
from exportctl.sandbox.faults import Faults
from exportctl.sandbox.server import (
    MAX_CONNECTIONS,
    REQUEST_TIMEOUT,
    RateLimiter,
    SandboxApp,
    SandboxHTTPServer,
    parse_rate_limit,
)
from exportctl.sandbox.store import Store
from exportctl.sandbox.tokens import DEFAULT_TTL, DownloadTokens
from exportctl.sandbox.worker import Timing, Worker

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class Sandbox:
    """A Voucherify-compatible export API on a local port, with generated data.

    Use it as a context manager (`with Sandbox(scale=0.01) as sb: ... sb.base_url`), or call
    `start()` and `stop()`. Files it creates for itself (database, exports) are removed on stop; a
    `db_path` or `data_dir` you give is kept. The data covers the two years before `as_of` (a date or
    datetime; default: today, UTC). A `db_path` the sandbox did not make raises
    `SandboxDatabaseError` and is left untouched.
    """

    def __init__(
        self,
        *,
        seed: int = 42,
        scale: float = 1.0,
        db_path: str | Path | None = None,
        data_dir: str | Path | None = None,
        app_id: str | None = None,
        secret_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        timing: Timing | None = None,
        rate_limit: str | tuple[int, float] | None = None,
        access_log: Callable[[str], None] | None = None,
        token_ttl: float = DEFAULT_TTL,
        as_of: date | datetime | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be greater than 0")
        if not token_ttl > 0:
            raise ValueError("token_ttl must be greater than 0")
        if request_timeout <= 0:
            raise ValueError("request_timeout must be greater than 0")
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.max_connections = max_connections
        self.seed = seed
        self.scale = scale
        # Fixed here, not when the data is made, so a sandbox started just before midnight stays one day.
        self.as_of: date | datetime = as_of if as_of is not None else generator.today_utc()
        self.request_timeout = request_timeout
        self.host = host
        self.port = port
        self.timing = timing or Timing()
        self.app_id = app_id or str(uuid.uuid4())
        self.secret_key = secret_key or str(uuid.uuid4())
        self.rate_limit = parse_rate_limit(rate_limit)
        self.token_ttl = token_ttl  # seconds a download URL stays valid
        self.faults = Faults()
        self._access_log = access_log
        self._given_db = Path(db_path) if db_path is not None else None
        self._given_data_dir = Path(data_dir) if data_dir is not None else None
        self._own_dir: Path | None = None
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._worker: Worker | None = None
        self._store: Store | None = None
        self._data_dir: Path | None = None

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the sandbox is not started")
        return self._store

    @property
    def worker(self) -> Worker:
        """The export jobs, for a caller in this process that must see a status without an HTTP request."""
        if self._worker is None:
            raise RuntimeError("the sandbox is not started")
        return self._worker

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            raise RuntimeError("the sandbox is not started")
        return self._data_dir

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = self._server.server_address[:2]
        shown = host if isinstance(host, str) else host.decode()
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{port}"

    def data_range(self) -> tuple[str, str]:
        """The `created_at` span of the generated records, as ISO instants: from HISTORY_DAYS before `as_of`."""
        end = generator.anchor_ms(self.as_of)
        return generator.iso_ms(end - generator.HISTORY_DAYS * generator.DAY_MS), generator.iso_ms(end)

    @property
    def headers(self) -> dict[str, str]:
        """The authentication headers the sandbox accepts."""
        return {"X-App-Id": self.app_id, "X-App-Token": self.secret_key}

    def bind(self) -> Sandbox:
        """Take the port, before any data is made, so that a taken port fails fast (OSError); returns self."""
        if self._server is None:
            self._server = SandboxHTTPServer(
                (self.host, self.port), request_timeout=self.request_timeout, max_connections=self.max_connections
            )
        return self

    def start(self) -> Sandbox:
        """Bind the port, generate (or reuse) the data, then serve in a background thread; returns self."""
        if self._thread is not None:
            return self
        self.bind()
        server = self._server
        assert server is not None
        try:
            if self._given_db is None or self._given_data_dir is None:
                self._own_dir = Path(tempfile.mkdtemp(prefix="exportctl-sandbox-"))
            db_path = self._given_db or (self._own_dir or Path()) / "sandbox.sqlite3"
            self._data_dir = self._given_data_dir or (self._own_dir or Path()) / "exports"
            self._store = Store(db_path, seed=self.seed, scale=self.scale, as_of=self.as_of)
            self._store.open()
            self._data_dir.mkdir(parents=True, exist_ok=True)
            tokens = DownloadTokens(self.app_id, self.token_ttl)
            self._worker = Worker(self._store, self._data_dir, self.timing, self.faults, tokens)
            server.app = SandboxApp(
                store=self._store,
                worker=self._worker,
                faults=self.faults,
                app_id=self.app_id,
                secret_key=self.secret_key,
                limiter=RateLimiter(self.rate_limit),
                access_log=self._access_log,
            )
            server.app.base_url = self.base_url
        except BaseException:
            self._close_server()
            self._cleanup()
            raise
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, stop the export threads and remove the files the sandbox made for itself."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5.0)
        self._thread = None
        self._close_server()
        self._cleanup()

    def _close_server(self) -> None:
        if self._server is not None:
            self._server.server_close()
            self._server = None

    def _cleanup(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being answered: one a client gave up on (a slow POST /v1/exports) may still
        create its export after the client moved on. False if one still runs after `timeout` seconds."""
        return self._server.wait_idle(timeout) if self._server is not None else True

    def wait(self) -> None:
        """Block until the server thread ends (it ends on stop(); Ctrl-C interrupts the wait)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
