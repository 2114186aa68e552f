"""SL008: a 32-bit unsigned shift under a late cast to a 64-bit type.

`(u64)(pfn << PAGE_SHIFT)`: the cast shows that the author wanted the 64-bit value,
and it comes after the shift has dropped the bits past bit 31 (PVS-Studio's V673).
On by default, unlike the rest of SL004, whose matching and fix it shares: the
cast is the evidence, so a shift that the ranges prove to fit is not reported,
and neither is one whose count nothing bounds (SL004's assumption).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening
from ..front.source import Source
from ..records import Finding
from .sl004 import narrow_shifts

CODE = "SL008"
NAME = "late-cast-narrow-shift"
SUMMARY = "32-bit unsigned value shifted left (losing bits) and only then cast to 64 bits"
DEFAULT = True


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    return narrow_shifts(CODE, widenings, analysis, source, function, late_cast=True)
