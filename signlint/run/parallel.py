"""Running TU analyses: in this process (Inline) or in worker processes (Pool).

Each worker is a separate process (forkserver where the platform has it, else
spawn) that parses with its own libclang and analyses one TU at a time; the
parent sends it one task, waits for its answer and sends the next. A worker that
dies (a segfault in libclang) or does not answer within the timeout (it is
killed) costs only its TU, which is reported as a warning; a new worker takes
its place.

Header functions walked once per run (engine.analyze): every worker keeps its
own set of the declarations it walked. The parent adds to each task what the
others finished since that worker's last task (and what results from the cache
walked), so a worker skips what another has done, except what is in flight at
the same moment: with N workers a header function is walked at most about N
times, never fewer than once. The findings are merged anyway (once per spelling
location), so this changes the work done, not the report.

Both runners have run(tasks) -> iterator of (index, UnitOutcome) in completion
order, share(keys), reset(keys) and close().
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import wait

from ..front.files import Targets
from ..records import Key, UnitOutcome
from ..report.output import display_path
from .engine import Engine, GivenArguments

Task = tuple[int, str, list[str]]  # (index in the run, path, clang arguments)


class WorkerError(Exception):
    """Worker processes cannot be started here."""


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _with_digests(outcome: UnitOutcome) -> UnitOutcome:
    from .cache import digests

    if outcome.result is not None:
        outcome.deps = digests([outcome.path, *outcome.result.includes])
    return outcome


class Inline:
    """Analyses in this process, one TU after the other (no timeout, no crash isolation)."""

    def __init__(self, engine: Engine, targets: Targets, digests: bool):
        self.engine, self.wanted, self.digests = engine, targets.wanted, digests
        engine.header_functions = set()

    def run(self, tasks: list[Task]) -> Iterator[tuple[int, UnitOutcome]]:
        for index, path, _args in tasks:
            outcome = self.engine.analyze_unit(path, self.wanted)
            yield index, _with_digests(outcome) if self.digests else outcome

    def share(self, keys: Iterable[Key]) -> None:
        self.engine.header_functions.update(keys)

    def reset(self, keys: Iterable[Key]) -> None:
        self.engine.header_functions = set(keys)

    def close(self) -> None:
        self.engine.header_functions = None


class _Worker:
    def __init__(self, context, number: int, setup: tuple):
        self.number = number
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, setup), name=f"signlint-worker-{number}",
                                       daemon=True)
        self.process.start()
        child.close()
        self.sent = 0  # how much of the shared key list it has been sent
        self.task: Task | None = None
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        with contextlib.suppress(OSError):
            self.conn.close()
        self.process.join(timeout=None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class Pool:
    """Up to jobs worker processes, started when there is work for them."""

    def __init__(self, engine: Engine, targets: Targets, jobs: int, timeout: float | None, digests: bool):
        self.jobs, self.timeout = jobs, timeout
        if "forkserver" in multiprocessing.get_all_start_methods():
            self.context = multiprocessing.get_context("forkserver")
            # Workers fork from a server that has imported the analysis once (and
            # not the __main__ module, which for `python -m signlint` would run it).
            self.context.set_forkserver_preload([__name__])
        else:  # pragma: no cover - not Linux
            self.context = multiprocessing.get_context("spawn")
        self.setup = (engine.options, targets, digests, os.getcwd(), dict(os.environ))
        self.workers: list[_Worker] = []
        self.keys: list[Key] = []  # header functions walked by finished TUs, in the order they were learnt
        self.numbers = 0

    def share(self, keys: Iterable[Key]) -> None:
        self.keys.extend(keys)

    def reset(self, keys: Iterable[Key]) -> None:
        """From now on workers skip exactly keys (their own sets are replaced)."""
        self.keys = list(keys)
        for worker in self.workers:
            worker.sent = -1  # resend all, replacing

    def _start(self) -> _Worker:
        self.numbers += 1
        try:
            worker = _Worker(self.context, self.numbers, self.setup)
        except OSError as exc:
            raise WorkerError(f"cannot start a worker process ({exc.strerror or exc}); -j 0 analyses in "
                              f"signlint's own process") from None
        self.workers.append(worker)
        return worker

    def _send(self, worker: _Worker, task: Task) -> None:
        replace = worker.sent < 0
        start = 0 if replace else worker.sent
        worker.conn.send((*task, self.keys[start:], replace))
        worker.sent = len(self.keys)
        worker.task, worker.started = task, time.monotonic()

    def _replace(self, worker: _Worker, kill: bool) -> None:
        worker.stop(kill=kill)
        self.workers.remove(worker)

    def run(self, tasks: list[Task]) -> Iterator[tuple[int, UnitOutcome]]:
        queue = deque(tasks)
        try:
            while queue or any(w.task for w in self.workers):
                idle = [w for w in self.workers if w.task is None]
                while queue and (idle or len(self.workers) < self.jobs):
                    worker = idle.pop() if idle else self._start()
                    self._send(worker, queue.popleft())
                busy = [w for w in self.workers if w.task is not None]
                wait_for = None
                if self.timeout is not None:
                    now = time.monotonic()
                    wait_for = max(0.0, min(w.started + self.timeout for w in busy) - now)
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], wait_for))
                for worker in busy:
                    if worker.conn in ready or worker.process.sentinel in ready:
                        yield self._collect(worker)
                    elif self.timeout is not None and time.monotonic() - worker.started >= self.timeout:
                        index, path, _ = worker.task
                        self._replace(worker, kill=True)
                        shown = display_path(path)
                        yield index, UnitOutcome(path, failure=f"{shown}: not analysed: libclang was still "
                                                 f"busy after {self.timeout:g} s (--timeout); the worker was stopped")
        except BaseException:
            self.close(kill=True)
            raise

    def _collect(self, worker: _Worker) -> tuple[int, UnitOutcome]:
        index, path, _ = worker.task
        try:
            if not worker.conn.poll():
                raise EOFError
            got, outcome = worker.conn.recv()
            if got != index:
                raise EOFError
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            self._replace(worker, kill=True)
            if code is not None and code < 0:
                try:
                    how = signal.Signals(-code).name
                except ValueError:
                    how = f"signal {-code}"
            else:
                how = f"exit status {code}"
            shown = display_path(path)
            return index, UnitOutcome(path, failure=f"{shown}: not analysed: the worker process died ({how}); "
                                      f"libclang probably crashed on it")
        worker.task = None
        outcome.worker = worker.number
        if outcome.result is not None:
            self.keys.extend(outcome.result.functions_analysed)
        return index, outcome

    def close(self, kill: bool = False) -> None:
        for worker in list(self.workers):
            if not kill and worker.task is None:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            worker.stop(kill=kill or worker.task is not None)
        self.workers.clear()


def _serve(conn, setup: tuple) -> None:
    """A worker: analyse the TUs the parent sends, one at a time, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        options, targets, want_digests, cwd, environ = setup
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environ)
        import resource

        engine = GivenArguments(options)
        engine.header_functions = set()
        wanted = targets.wanted
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message is None:
                return
            index, path, args, keys, replace = message
            if replace:
                engine.header_functions = set(keys)
            else:
                engine.header_functions.update(keys)
            engine.given = {path: args}
            outcome = engine.analyze_unit(path, wanted)
            if want_digests:
                _with_digests(outcome)
            outcome.rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            conn.send((index, outcome))
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        return
    except BaseException as exc:  # never a traceback on the user's terminal: the parent reports the TU
        sys.stderr.write(f"signlint: worker error: {type(exc).__name__}: {exc}\n")
        os._exit(3)
