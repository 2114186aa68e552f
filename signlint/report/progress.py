"""Progress and the end-of-run summary, on stderr (reports on stdout stay clean).

Modes: 'live' rewrites one line in place (a terminal: stderr is a TTY and the
CI variable is not set); 'plain' prints a line at every tenth of the work (logs,
CI); 'off' prints nothing. 'auto' picks live or plain, and nothing at all for
runs of fewer than AUTO_MIN_UNITS TUs (a pre-commit hook or a single file does
not need a progress report). The summary follows live and plain progress.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import Counter

from .output import display_path

AUTO_MIN_UNITS = 10
MODES = ("auto", "live", "plain", "off")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    def __init__(self, mode: str = "auto", stream=None, jobs: int = 1):
        self.stream = stream or sys.stderr
        self.requested = mode
        self.mode = "off"
        self.jobs = jobs
        self.total = self.done_units = self.fresh = self.cached = 0
        self.keys: set[tuple] = set()
        self.begun = time.monotonic()
        self.first_fresh: float | None = None
        self._next_plain = 0
        self._width = 0

    # -- the engine's calls ----------------------------------------------------

    def start(self, total: int) -> None:
        self.begun = time.monotonic()
        self.total = total
        mode = self.requested
        if mode == "auto":
            if total < AUTO_MIN_UNITS:
                mode = "off"
            else:
                tty = hasattr(self.stream, "isatty") and self.stream.isatty()
                mode = "live" if tty and not in_ci() else "plain"
        self.mode = mode
        self._next_plain = self._step()

    def add(self, count: int) -> None:
        self.total += count
        self._next_plain = max(self._next_plain, self.done_units + 1)

    def advance(self, outcome) -> None:
        self.done_units += 1
        if outcome.cached:
            self.cached += 1
        elif outcome.result is not None:
            self.fresh += 1
        if outcome.result is not None:
            self.keys.update(f.key for f in outcome.result.findings)
        if self.mode == "live":
            self._live()
        elif self.mode == "plain" and (self.done_units >= self._next_plain or self.done_units == self.total):
            self._next_plain = self.done_units + self._step()
            self._write(f"signlint: {self._status()}\n")

    def done(self) -> None:
        if self.mode == "live" and self._width:
            self._write("\r" + " " * self._width + "\r")
            self._width = 0

    # -- output ----------------------------------------------------------------

    def _step(self) -> int:
        return max(1, -(-self.total // 10))

    def eta(self) -> float | None:
        remaining = self.total - self.done_units
        elapsed = time.monotonic() - self.begun
        if remaining <= 0 or self.fresh == 0:
            return None
        return elapsed / self.fresh * remaining

    def _status(self) -> str:
        percent = 100 * self.done_units // self.total if self.total else 100
        parts = [f"{self.done_units}/{self.total} TUs ({percent}%)", f"{len(self.keys)} findings"]
        if self.cached:
            parts.append(f"{self.cached} from cache")
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {_duration(eta)}")
        return ", ".join(parts)

    def _live(self) -> None:
        columns = shutil.get_terminal_size((80, 24)).columns
        line = f"signlint: {self._status()}"[: max(10, columns - 1)]
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self._write("\r" + line + " " * pad)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.mode = "off"

    def summary(self, report, findings) -> None:
        """The end of the run: TUs analysed, from the cache, failed, with parse
        errors; findings per rule (as reported); wall time; worker memory."""
        if self.mode == "off":
            return
        analysed = report.parsed - report.cached
        parts = [f"{report.units} TUs in {_duration(time.monotonic() - self.begun)}: {analysed} analysed",
                 f"{report.cached} from cache"]
        if report.failed:
            parts.append(f"{report.failed} not analysed")
        parts.append(f"{report.parse_errors} with parse errors")
        counts = Counter(f.rule for f in findings)
        rules = ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) or "none"
        text = f"signlint: {'; '.join(parts)}; findings: {rules}"
        if report.databases:
            text += f"; compile database: {', '.join(display_path(d) for d in report.databases)}"
        if report.without_database:
            text += f"; {report.without_database} TU(s) without a compile database"
        if report.worker_rss:
            peak = max(report.worker_rss.values()) / 2**20
            text += f"; {len(report.worker_rss)} worker process(es), peak RSS {peak:.0f} MB"
        self._write(text + "\n")
