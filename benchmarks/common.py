"""What the benchmarks share: scratch PostgreSQL databases, a uvicorn process, a small HTTP load generator
and latency statistics.

The load generator is a plain asyncio HTTP/1.1 client with keep-alive connections (one per simulated
client). It is much lighter than a general-purpose client, which matters on a 2-core machine where the
load generator, the API process and PostgreSQL share the CPUs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("GREMIENLAUF_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# ----------------------------------------------------------------------------------- scratch database


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def database_url(name: str, admin_url: str = ADMIN_URL) -> str:
    """The URL of database ``name`` on the server of ``admin_url`` (psycopg 3 driver)."""
    return _psycopg_url(admin_url).rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def scratch_database(prefix: str, *, keep: bool = False, admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A new, empty database ``gl_bench_<prefix>_<pid>``; dropped afterwards unless ``keep``."""
    name = f"gl_bench_{prefix}_{os.getpid()}"
    admin = create_engine(_psycopg_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(name, admin_url)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_version(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        version = str(conn.execute(text("SHOW server_version")).scalar_one())
    engine.dispose()
    return version


# ------------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One uvicorn process (``--workers 1``) on 127.0.0.1 and a free port."""

    app: str
    env: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    log_path: Path | None = None
    keep_log: Path | None = None  # copy the server's log here when it stops
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]

    def __enter__(self) -> Server:
        self.port = self.port or free_port()
        handle, name = tempfile.mkstemp(prefix="gl-bench-uvicorn-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            asyncio.run(self._wait_ready())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    async def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited early:\n{self.log_tail()}")
            try:
                connection = HttpConnection(self.host, self.port)
                await connection.request("GET", "/__benchmark_ready__")
                await connection.close()
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError(f"uvicorn did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log_path is not None:
            if self.keep_log is not None:
                self.keep_log.write_bytes(self.log_path.read_bytes())
            self.log_path.unlink(missing_ok=True)


@contextlib.contextmanager
def profiled(pid: int, path: Path | None, tag: str, seconds: float) -> Iterator[None]:
    """Sample process ``pid`` with py-spy while the block runs (nothing if ``path`` is None).

    Only the thread holding the GIL is sampled (``--gil``): one Python process runs one thread at a time, so
    this is where its CPU goes; threads waiting for the GIL, a lock or the database are left out."""
    if path is None:
        yield
        return
    target = path.with_name(f"{path.stem}-{tag}{path.suffix}")
    kind = "raw" if path.suffix == ".txt" else "speedscope"
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--duration",
            str(max(1, math.ceil(seconds))),
            "--format",
            kind,
            "--output",
            str(target),
            "--nonblocking",
            "--gil",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.wait(timeout=120)
        print(f"  profile of {tag} written to {target}")


# ------------------------------------------------------------------------------------ HTTP client


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpConnection:
    """A single keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            sock = self._writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._reader, self._writer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        try:
            return await self._request(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()
            if method != "GET":
                raise  # a write is never sent twice
            # The server closed an idle keep-alive connection: once more, on a fresh one.
            return await self._request(method, path, body, headers)

    async def _request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str] | None
    ) -> Response:
        reader, writer = await self._connect()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        found: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                found[name.strip().lower()] = value.strip()
        if "content-length" in found:
            data = await reader.readexactly(int(found["content-length"]))
        elif found.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            data = b"".join(chunks)
        else:
            data = await reader.read()
            found["connection"] = "close"
        if found.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, found, data)


# ------------------------------------------------------------------------------------------ load


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: Mapping[str, str] | None = None


class RequestSource(Protocol):
    def next(self, client: int) -> Request | None:
        """The next request of this client, or None when it has no more work."""


@dataclass(frozen=True)
class Sample:
    started: float
    finished: float
    status: int

    @property
    def latency_ms(self) -> float:
        return (self.finished - self.started) * 1000.0


@dataclass
class LoadResult:
    samples: list[Sample]
    window: tuple[float, float]  # the measured window: after the warm-up, while every client had work
    errors: list[str]

    def in_window(self) -> list[Sample]:
        """Requests in flight during the window: sent before its end and answered after its start, however
        long they took (a request stuck since the warm-up counts too)."""
        start, end = self.window
        return [s for s in self.samples if s.started <= end and s.finished >= start]

    def succeeded_in_window(self) -> int:
        """2xx answers that arrived within the window (the throughput)."""
        start, end = self.window
        return sum(1 for s in self.samples if start <= s.finished <= end and 200 <= s.status < 300)


async def _client(
    index: int,
    source: RequestSource,
    host: str,
    port: int,
    stop_at: float,
    samples: list[Sample],
    errors: list[str],
    exhausted: list[float],
    expected: frozenset[int],
    timeout: float,
) -> None:
    connection = HttpConnection(host, port)
    try:
        while time.perf_counter() < stop_at:
            request = source.next(index)
            if request is None:
                exhausted.append(time.perf_counter())
                return
            started = time.perf_counter()
            try:
                response = await asyncio.wait_for(
                    connection.request(request.method, request.path, request.body, request.headers),
                    timeout,
                )
                status = response.status
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                status, response = 0, Response(0, {}, repr(exc).encode())
                await connection.close()
            samples.append(Sample(started, time.perf_counter(), status))
            if status not in expected and len(errors) < 20:
                errors.append(f"{request.method} {request.path} → {status}: {response.body[:300]!r}")
    finally:
        await connection.close()


async def run_load(
    source: RequestSource,
    host: str,
    port: int,
    *,
    clients: int,
    warmup: float,
    duration: float,
    expected: frozenset[int] = frozenset({200, 201}),
    timeout: float = 60.0,
) -> LoadResult:
    """``clients`` concurrent keep-alive clients for ``warmup`` + ``duration`` seconds (or until the
    source runs out). The measured window starts after the warm-up and ends at the deadline, or when the
    first client runs out of work (after that, fewer than ``clients`` requests are in flight). A request
    that takes longer than ``timeout`` seconds counts as failed (status 0)."""
    samples: list[Sample] = []
    errors: list[str] = []
    exhausted: list[float] = []
    begin = time.perf_counter()
    stop_at = begin + warmup + duration
    await asyncio.gather(
        *[
            _client(i, source, host, port, stop_at, samples, errors, exhausted, expected, timeout)
            for i in range(clients)
        ]
    )
    end = min([stop_at, *exhausted])
    return LoadResult(samples, (begin + warmup, end), errors)


def run_load_sync(
    source: RequestSource,
    host: str,
    port: int,
    *,
    clients: int,
    warmup: float,
    duration: float,
    expected: frozenset[int] = frozenset({200, 201}),
    timeout: float = 60.0,
) -> LoadResult:
    """``run_load`` on uvloop (it comes with uvicorn[standard]), from synchronous code."""
    import uvloop

    return uvloop.run(
        run_load(
            source,
            host,
            port,
            clients=clients,
            warmup=warmup,
            duration=duration,
            expected=expected,
            timeout=timeout,
        )
    )


class Repeat:
    """The same request over and over (for the bare endpoint)."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def next(self, client: int) -> Request | None:
        return self.request


# ------------------------------------------------------------------------------------ statistics


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0…100) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Summary:
    """Latencies of the requests in flight in the measured window; throughput = 2xx answers per second."""

    requests: int
    seconds: float
    per_second: float
    p50: float
    p95: float
    p99: float
    max: float
    mean: float
    failed: int  # answered with something other than 2xx, or not answered in time

    @classmethod
    def of(
        cls, samples: Sequence[Sample], seconds: float | None = None, succeeded: int | None = None
    ) -> Summary:
        latencies = [s.latency_ms for s in samples]
        span = seconds or 0.0
        ok = succeeded if succeeded is not None else sum(1 for s in samples if 200 <= s.status < 300)
        return cls(
            requests=len(samples),
            seconds=span,
            per_second=ok / span if span > 0 else math.nan,
            p50=percentile(latencies, 50),
            p95=percentile(latencies, 95),
            p99=percentile(latencies, 99),
            max=max(latencies, default=math.nan),
            mean=sum(latencies) / len(latencies) if latencies else math.nan,
            failed=sum(1 for s in samples if not 200 <= s.status < 300),
        )

    @classmethod
    def of_load(cls, result: LoadResult) -> Summary:
        start, end = result.window
        return cls.of(result.in_window(), end - start, result.succeeded_in_window())

    def as_dict(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.p50, 2),
            "p95_ms": round(self.p95, 2),
            "p99_ms": round(self.p99, 2),
            "max_ms": round(self.max, 2),
            "mean_ms": round(self.mean, 2),
            "failed": self.failed,
        }


def _process_cpu(stat_path: Path) -> tuple[str, float]:
    """(command name, user + system CPU seconds) of one process from /proc/<pid>/stat."""
    raw = stat_path.read_text()
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used (Linux; NaN elsewhere)."""
    try:
        return _process_cpu(Path(f"/proc/{pid}/stat"))[1]
    except (OSError, ValueError, IndexError):
        return math.nan


#: PostgreSQL's shared background processes, which work for every database.
_PG_SHARED = ("walwriter", "checkpointer", "background writer", "logical replication", "autovacuum launcher")


def postgres_cpu_seconds(database: str) -> float:
    """CPU seconds used by the PostgreSQL backends of ``database`` and the shared background processes
    running now (Linux; NaN elsewhere). Backends of other databases are left out."""
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, seconds = _process_cpu(stat)
            if not name.startswith("postgres"):
                continue
            title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if f" {database} " in title or any(kind in title for kind in _PG_SHARED):
            total, found = total + seconds, True
    return total if found else math.nan


@dataclass
class CpuMeter:
    """CPU used by the server process, PostgreSQL and this process (the load generator) during a block."""

    server_pid: int
    database: str
    server: float = 0.0
    postgres: float = 0.0
    client: float = 0.0

    def __enter__(self) -> CpuMeter:
        self._start = (cpu_seconds(self.server_pid), postgres_cpu_seconds(self.database), time.process_time())
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server = cpu_seconds(self.server_pid) - self._start[0]
        self.postgres = postgres_cpu_seconds(self.database) - self._start[1]
        self.client = time.process_time() - self._start[2]

    def per_request_ms(self, requests: int) -> dict[str, float]:
        share = 1000.0 / requests if requests else math.nan
        return {
            "server_cpu_ms": round(self.server * share, 2),
            "postgres_cpu_ms": round(self.postgres * share, 2),
            "load_generator_cpu_ms": round(self.client * share, 2),
        }


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot (Linux)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPUs in use over ``seconds`` (NaN where /proc/stat is missing)."""
    try:
        busy0, total0 = _cpu_ticks()
        time.sleep(seconds)
        busy1, total1 = _cpu_ticks()
    except (OSError, ValueError, IndexError):
        return math.nan
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_until_quiet(limit: float) -> None:
    """Wait up to ``limit`` seconds for the CPUs to be less than 15 % busy (other work on a shared machine)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        share = busy_share(5.0)
        if not share > 0.15:
            return
        print(f"  waiting for a quiet machine: CPUs {share:.0%} busy")


def busy_warning(share: float) -> str | None:
    """A warning when other work kept the machine busy before the run (the figures would be too low)."""
    if share > 0.15:
        return (
            f"WARNING: the CPUs were {share:.0%} busy before the run (other processes); "
            "the figures will be lower than on an idle machine"
        )
    return None


def machine() -> dict[str, str | int | None]:
    import fastapi
    import sqlalchemy
    import uvicorn

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "fastapi": fastapi.__version__,
        "uvicorn": uvicorn.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }


def write_json(path: Path | None, data: Mapping[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {path}")
