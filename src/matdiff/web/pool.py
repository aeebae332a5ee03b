"""Worker processes with a hard time limit per job, so a runaway derivation cannot take
the server down.

Contract: `WorkerPool(size, time_limit)`; `await pool.run(job, request)` runs
`service.JOBS[job](**request)` in one of `size` worker processes and returns
`("ok", payload)`, `("user", error_payload)` for a `MatdiffError`, `("limit", message)`
when the job ran out of memory, or `("internal", type name)` for anything else: a bug,
whose traceback the worker logs on the server's stderr (never sent to the client). It
raises `JobTimeout` when the job runs past `time_limit` seconds (the worker is killed
and replaced, so its CPU comes back at once) and `Busy` when no worker frees up within
`queue_limit` seconds. A worker that dies (out of memory, a crash) is replaced the same
way and reported as internal.

Workers are started with the "spawn" method (no fork of the threaded server), import
matdiff once, and cap their own address space (`memory_limit_mb`) so one request cannot
exhaust the machine. `size=0` runs jobs in a thread instead (no hard kill: for debugging).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from ..errors import MatdiffError
from .service import JOBS, error_payload

log = logging.getLogger("matdiff.web.worker")


class JobTimeout(Exception):
    pass


class Busy(Exception):
    pass


def _limit_memory(mb: int | None) -> None:
    if not mb:
        return
    try:
        import resource  # optional: POSIX only (there is no address-space cap elsewhere)

        limit = mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def execute(job: str, request: dict[str, Any]) -> tuple:
    """Run one job and classify its outcome (never raises)."""
    try:
        if job == "_sleep":  # used by the tests of the time limit only
            time.sleep(float(request.get("seconds", 1.0)))
            return ("ok", {"slept": True})
        run: Any = JOBS[job]
        return ("ok", run(**request))
    except MatdiffError as e:
        field = None
        if e.text is not None and e.text == request.get("answer"):
            field = "answer"
        elif e.text is not None and e.text == request.get("expression"):
            field = "expression"
        return ("user", error_payload(e, field))
    except MemoryError:
        return ("limit", "the derivation needed more memory than the server allows")
    except Exception as e:  # a bug: logged here with its traceback, the worker lives on
        log.error("internal error in the %s job on %r:\n%s", job, request,
                  traceback.format_exc())
        return ("internal", type(e).__name__)


def _worker_main(conn: Connection, memory_limit_mb: int | None) -> None:
    _limit_memory(memory_limit_mb)
    # Import and warm up once, before the first job, so the first request is not slow.
    execute("derivative", {"expression": "x'*A*x", "wrt": "x"})
    conn.send("ready")

    while True:
        try:
            job, request = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(execute(job, request))


_START_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_not_a_file() -> Iterator[None]:
    """Spawned workers re-import the parent's __main__ by path; when that is no file
    (a script read from stdin) the import fails. The workers never need __main__, so its
    path is hidden while one starts."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or os.path.isfile(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class _Worker:
    def __init__(self, ctx: Any, memory_limit_mb: int | None) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, memory_limit_mb), daemon=True,
            name="matdiff-web-worker",
        )
        with _START_LOCK, _main_not_a_file():
            self.process.start()
        child.close()

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the worker has imported matdiff (the time limit starts after)."""
        if not self.conn.poll(timeout) or self.conn.recv() != "ready":
            raise RuntimeError("a worker process did not start")

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(timeout=5)
        finally:
            self.conn.close()


class WorkerPool:
    def __init__(
        self,
        size: int = 2,
        time_limit: float = 10.0,
        queue_limit: float = 30.0,
        memory_limit_mb: int | None = 2048,
    ) -> None:
        self.size = size
        self.time_limit = time_limit
        self.queue_limit = queue_limit
        self.memory_limit_mb = memory_limit_mb
        self._ctx = mp.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: list[_Worker] = []
        self._starting: asyncio.Future[None] | None = None
        self.timeouts = 0
        self.restarts = 0

    # The pool belongs to one event loop (the server's); it starts on first use.
    async def _ensure_started(self) -> asyncio.Queue[_Worker]:
        if self._idle is None:
            if self._starting is None:
                self._starting = asyncio.get_running_loop().run_in_executor(None, self._spawn)
            await asyncio.shield(self._starting)
            if self._idle is None:
                self._idle = asyncio.Queue()
                for w in self._all:
                    self._idle.put_nowait(w)
        return self._idle

    def _spawn(self) -> None:
        workers = [_Worker(self._ctx, self.memory_limit_mb) for _ in range(self.size)]
        self._all.extend(workers)
        for w in workers:
            w.wait_ready()

    async def start(self) -> None:
        if self.size > 0:
            await self._ensure_started()

    def close(self) -> None:
        for w in self._all:
            try:
                w.kill()
            except Exception:
                pass
        self._all.clear()
        self._idle = None
        self._starting = None

    def _replace(self, w: _Worker) -> _Worker | None:
        w.kill()
        if w in self._all:
            self._all.remove(w)
        if self._idle is None:  # closed meanwhile
            return None
        fresh = _Worker(self._ctx, self.memory_limit_mb)
        self._all.append(fresh)
        self.restarts += 1
        fresh.wait_ready()
        return fresh

    async def run(self, job: str, request: dict[str, Any]) -> tuple:
        if self.size <= 0:
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(execute, job, request), self.time_limit
                )
            except TimeoutError:
                self.timeouts += 1
                raise JobTimeout from None
        idle = await self._ensure_started()
        try:
            w = await asyncio.wait_for(idle.get(), self.queue_limit)
        except TimeoutError:
            raise Busy from None
        loop = asyncio.get_running_loop()
        healthy = False
        try:
            w.conn.send((job, request))
            ready = await loop.run_in_executor(None, w.conn.poll, self.time_limit)
            if not ready:
                self.timeouts += 1
                raise JobTimeout
            outcome = w.conn.recv()
            healthy = True
            return outcome
        except (EOFError, OSError):
            return ("internal", "worker process died (out of memory?)")
        finally:
            # A worker that timed out, died, or whose client went away mid-job (its
            # answer would be left in the pipe) is killed and replaced in the background;
            # the request does not wait for the new one to start.
            if healthy:
                idle.put_nowait(w)
            else:
                self._recycle(w, idle)

    def _recycle(self, w: _Worker, idle: asyncio.Queue[_Worker]) -> None:
        fut = asyncio.get_running_loop().run_in_executor(None, self._replace, w)

        def done(f: asyncio.Future[_Worker | None]) -> None:
            try:
                fresh = f.result()
            except Exception:
                return  # the pool shrinks by one rather than crash the server
            if fresh is not None and idle is self._idle:
                idle.put_nowait(fresh)

        fut.add_done_callback(done)
