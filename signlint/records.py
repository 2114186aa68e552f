"""The plain records every stage may import: where a thing is written (Position),
what a check reports (Finding, with its Fix and Notes), and what became of one
translation unit (UnitResult, UnitOutcome).

The engine makes the unit records, the cache stores and loads them, worker
processes send them back, and kbuild mode prints them. Nothing here imports
libclang or the analysis, so a result taken from the cache costs no import of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Position:
    """A point in a file: 1-based line and column (in bytes), 0-based byte offset."""

    path: str
    line: int
    column: int
    offset: int


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes [start, end) of path with text (an insertion when start == end)."""

    path: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    description: str  # 'cast before shifting'
    edits: tuple[Edit, ...]
    preview: str  # the expression as it reads after the fix ('' when it cannot be shown)
    applicable: bool = True  # False: shown, but --fix leaves it to the author
    safe: bool = True  # False: it changes a declaration's type or how a stored value is read (--unsafe-fixes)


@dataclass(frozen=True, slots=True)
class Note:
    position: Position
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    position: Position  # where the flagged expression begins (its spelling location)
    end: Position | None  # end of the flagged expression on the same line, if known
    message: str
    function: str = ""
    fix: Fix | None = None
    notes: tuple[Note, ...] = field(default=())
    unit: str = ""  # the file parsed to find it (a header's finding comes from a .c file)
    snippet: str = ""  # the flagged expression as written, white space folded (for fingerprints)
    explanation: tuple[str, ...] = ()  # with --explain: the ranges the analysis used ('b in [0, 0xff] (...)')

    @property
    def key(self) -> tuple[str, str, int]:
        """One finding per spelling location and rule."""
        return (self.rule, self.position.path, self.position.offset)


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
