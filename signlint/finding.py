"""What a check reports: plain records, independent of how they are found or shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from .ir import Position


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
