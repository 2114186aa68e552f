"""Runs an engine over many translation units (TUs) and gathers one report.

run() schedules the TUs: in this process or in worker processes (parallel),
results from the cache when the TU and everything it includes is unchanged
(cache), a deterministic share of the TUs with --shard. A function defined
outside the TU's main file (a header's static inline) is walked once per run:
later TUs skip it (see parallel for how workers share what was walked).
Outcomes are folded in the order of the TUs, so the report does not depend on
which worker finished first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..front.files import Targets
from ..records import Finding, UnitOutcome, merge
from ..report.output import display_path, too_deep_warning
from .engine import Engine
from .parallel import Inline, Pool


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. parse errors: results may be incomplete
    internal_errors: list[str] = field(default_factory=list)  # files signlint failed on (its own bugs)
    parsed: int = 0  # TUs with a result (analysed now or taken from the cache)
    units: int = 0  # TUs scheduled
    cached: int = 0  # TUs whose result came from the cache
    parse_errors: int = 0  # TUs with parse errors (results may be incomplete)
    failed: int = 0  # TUs without a result: libclang failed, crashed or timed out, or an internal error
    functions_skipped: int = 0  # header function walks skipped (already analysed in the run)
    worker_rss: dict[int, int] = field(default_factory=dict)  # worker number -> peak RSS in bytes
    explanations: list[str] = field(default_factory=list)  # --explain-silent: what was seen on the line
    with_errors: list[str] = field(default_factory=list)  # TUs with parse errors (shown paths)
    not_analysed: list[str] = field(default_factory=list)  # TUs libclang failed on, crashed or timed out
    partly_analysed: list[str] = field(default_factory=list)  # TUs with an expression nested too deeply
    unbuilt: list[str] = field(default_factory=list)  # files left out: a compile database governs them, lists none
    databases: list[str] = field(default_factory=list)  # the compile databases used (paths)
    without_database: int = 0  # TUs parsed with no database: only the default and extra flags
    example_flags: tuple[str, list[str]] | None = None  # (first TU, its clang arguments), for --verbose

    @property
    def incomplete(self) -> bool:
        """Findings may be missing: some TU was not analysed, or not all of it."""
        return bool(self.with_errors or self.not_analysed or self.partly_analysed)


@dataclass
class RunOptions:
    """How run() schedules TUs (what it finds does not depend on these).

    jobs: 0 analyses in this process; N > 0 in N worker processes (a TU that
    crashes libclang or runs past timeout seconds is reported and the run goes on).
    cache: a cache.Cache, or None. shard: (k, n), 1 <= k <= n: only the TUs whose
    path hashes to share k. progress: an object with start(total), add(count),
    advance(outcome) and done() (progress.Progress), or None."""

    jobs: int = 0
    timeout: float | None = None
    cache: object | None = None
    shard: tuple[int, int] | None = None
    progress: object | None = None


def run(engine: Engine, targets: Targets, how: RunOptions | None = None) -> Report:
    """Analyse the targets' TUs with engine, scheduled as how says."""
    how = how or RunOptions()
    digests = how.cache is not None  # outcomes carry the digests of what they read, for the cache
    runner = Pool(engine, targets, how.jobs, how.timeout, digests) if how.jobs > 0 else Inline(engine, targets, digests)
    try:
        return _Batch(engine, targets, how, runner).run()
    finally:
        runner.close()
        if how.progress is not None:
            how.progress.done()


class _Batch:
    """One run(): which TUs, in which order, from the cache or a runner."""

    def __init__(self, engine: Engine, targets: Targets, how: RunOptions, runner) -> None:
        self.engine, self.targets, self.how, self.runner = engine, targets, how, runner
        self.outcomes: list[UnitOutcome] = []
        self.arguments: list[list[str]] = []

    def run(self) -> Report:
        engine, targets, how = self.engine, self.targets, self.how
        # In a folder scan, files the build does not compile are left out; named
        # files are always analysed (a header borrows its nearest neighbour's flags).
        sources = _shard(targets.sources, how.shard)
        built: list[str] = []
        unbuilt: list[str] = []
        for path in sources:  # one pass: `not in built` was quadratic on a whole tree
            (built if path in targets.files or engine.is_built(path) else unbuilt).append(path)
        if how.progress is not None:
            how.progress.start(len(built))
        self._analyse(built)
        included = {inc for o in self.outcomes if o.result for inc in o.result.includes}
        headers = []
        for header in _shard(targets.headers, how.shard):
            if header in included:
                continue
            if header in targets.files or engine._database(header) is None:
                headers.append(header)
            else:
                unbuilt.append(header)
        if how.progress is not None and headers:
            how.progress.add(len(headers))
        self._analyse(headers)
        self._cover()
        report = self._fold()
        report.unbuilt = [display_path(p) for p in unbuilt]
        if unbuilt:
            report.warnings.append(f"{len(unbuilt)} file(s) under the named folders are not in the compile "
                                   f"database and no listed file includes them; they were not analysed")
        report.databases = engine.databases_used()
        report.without_database = sum(1 for o in self.outcomes if engine._database(o.path) is None)
        if self.outcomes:
            report.example_flags = (display_path(self.outcomes[0].path), self.arguments[0])
        return report

    def _analyse(self, paths: list[str]) -> None:
        """Outcomes for paths, appended in their order: cached ones first known."""
        cache, progress = self.how.cache, self.how.progress
        pending: list[tuple[int, str, list[str]]] = []
        for path in paths:
            index = len(self.outcomes)
            args = self.engine.arguments(path)
            self.arguments.append(args)
            hit = cache.lookup(path, args, self.targets.wanted) if cache is not None else None
            if hit is not None:
                self.runner.share(hit.result.functions_analysed)
                if progress is not None:
                    progress.advance(hit)
            else:
                pending.append((index, path, args))
                hit = UnitOutcome(path, failure="not analysed")
            self.outcomes.append(hit)
        self._dispatch(pending)

    def _dispatch(self, tasks: list[tuple[int, str, list[str]]]) -> None:
        cache, progress = self.how.cache, self.how.progress
        for index, outcome in self.runner.run(tasks):
            self.outcomes[index] = outcome
            if cache is not None and outcome.result is not None:
                cache.store(outcome.path, self.arguments[index], outcome, self.targets.wanted)
            if progress is not None:
                progress.advance(outcome)

    def _cover(self) -> None:
        """A TU that skipped a header function relies on another TU of this run
        having walked it. Results from the cache can break that (the TU that walked
        it left the run, or failed): analyse such TUs again, skipping only what is
        covered."""
        walked = {k for o in self.outcomes if o.result for k in o.result.functions_analysed}
        redo = [(i, o.path, self.arguments[i]) for i, o in enumerate(self.outcomes)
                if o.result and not walked.issuperset(o.result.functions_skipped)]
        if redo:
            self.runner.reset(walked)
            self._dispatch(redo)

    def _fold(self) -> Report:
        report = Report(units=len(self.outcomes))
        seen: dict[tuple, Finding] = {}
        ignored: set[str] = set()
        for outcome in self.outcomes:
            if outcome.worker >= 0:
                report.worker_rss[outcome.worker] = max(report.worker_rss.get(outcome.worker, 0), outcome.rss)
            result = outcome.result
            if result is None:
                report.failed += 1
                (report.internal_errors if outcome.internal else report.warnings).append(outcome.failure)
                if not outcome.internal:
                    report.not_analysed.append(display_path(outcome.path))
                continue
            report.parsed += 1
            report.cached += outcome.cached
            report.functions_skipped += len(result.functions_skipped)
            for argument in result.unknown_arguments:
                if argument not in ignored:
                    ignored.add(argument)
                    report.warnings.append(f"clang does not know the argument '{argument}'; it was ignored")
            if result.errors:
                report.parse_errors += 1
                report.with_errors.append(display_path(outcome.path))
                report.warnings.append(f"{display_path(outcome.path)}: parse errors, results may be incomplete: "
                                       f"{result.errors[0]}")
            if result.too_deep:
                report.partly_analysed.append(display_path(outcome.path))
                report.warnings.append(too_deep_warning(result.too_deep))
            merge(seen, result.findings)
            report.explanations.extend(result.explanations)
        # Notes of a finding seen in several TUs, in one order whatever the TU order.
        report.findings = sorted((_sorted_notes(f) for f in seen.values()),
                                 key=lambda f: (f.position.path, f.position.offset, f.rule))
        return report


def _sorted_notes(finding: Finding) -> Finding:
    if len(finding.notes) < 2:
        return finding
    notes = tuple(sorted(finding.notes, key=lambda n: (n.position.path, n.position.offset, n.message)))
    return replace(finding, notes=notes)


def shard_of(path: str, count: int, root: str | None = None) -> int:
    """The share (1..count) a file belongs to: a hash of its path relative to the
    project root, so every checkout and machine splits the same way."""
    from ..report.fingerprint import project_root, relative_path

    rel = relative_path(path, root or project_root())
    return int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big") % count + 1


def _shard(paths: Iterable[str], shard: tuple[int, int] | None) -> list[str]:
    if shard is None:
        return list(paths)
    from ..report.fingerprint import project_root

    k, n = shard
    root = project_root()
    return [p for p in paths if shard_of(p, n, root) == k]
