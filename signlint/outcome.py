"""What became of one translation unit: plain records that every stage may use.

The engine makes them, the cache stores and loads them, worker processes send
them back, and kbuild mode prints them. Nothing here imports the analysis, so a
result taken from the cache costs no import of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .finding import Finding

Key = tuple[str, int, str]  # a top-level declaration outside its TU's main file: (real path, offset, name)


@dataclass
class UnitResult:
    findings: list[Finding]
    errors: list[str]  # the TU's parse errors ('path:line:col: error: ...')
    includes: set[str]
    unknown_arguments: list[str] = field(default_factory=list)
    functions_analysed: list[Key] = field(default_factory=list)  # header declarations walked here
    functions_skipped: list[Key] = field(default_factory=list)  # ... not walked: analysed in another TU
    explanations: list[str] = field(default_factory=list)  # --explain-silent
    too_deep: list[str] = field(default_factory=list)  # 'path:line': expressions left out, nested too deeply


@dataclass
class UnitOutcome:
    """What became of one TU: a result, or why there is none."""

    path: str
    result: UnitResult | None = None
    failure: str = ""  # without a result: the warning (or internal error) to show
    internal: bool = False  # the failure is a bug in signlint (exit status 2)
    cached: bool = False  # the result came from the cache
    deps: dict[str, str] | None = None  # digest of each file the parse read (for the cache)
    worker: int = -1  # the worker process that produced it (-1: this process or the cache)
    rss: int = 0  # that worker's peak resident set size so far, in bytes


def merge(seen: dict[tuple, Finding], findings: Iterable[Finding]) -> None:
    """One finding per spelling location and rule; notes of repeats are kept.

    Repeats can differ (a shift in a macro body, reported from the functions that
    use it): the one kept is the least by (function, message), not the first
    seen, so the result does not depend on the order of the TUs (workers finish
    in any order; `signlint merge` makes the same choice across shards)."""
    for finding in findings:
        first = seen.get(finding.key)
        if first is None:
            seen[finding.key] = finding
        else:
            notes = first.notes + tuple(n for n in finding.notes if n not in first.notes)
            keep = finding if (finding.function, finding.message) < (first.function, first.message) else first
            seen[finding.key] = replace(keep, notes=notes)
