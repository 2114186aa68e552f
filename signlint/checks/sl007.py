"""SL007: SL001's shift, with a count that nothing in the code bounds.

`1 << inode->i_blkbits` widened to a u64 sign-extends only if the count reaches 31;
whether it can is decided elsewhere (a value checked at mount time, say), not in the
code at hand. Such a finding rests on an assumption, so it is opt-in. Matching,
messages and fixes are SL001's; only the count's evidence differs.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening
from ..front.source import Source
from ..records import Finding
from .sl001 import sign_extended_shifts

CODE = "SL007"
NAME = "unbounded-count-shift-sign-extension"
SUMMARY = "a shift into bit 31 by a count that nothing bounds, then sign-extended"
DEFAULT = False


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    return sign_extended_shifts(CODE, widenings, analysis, source, function, unbounded=True)
