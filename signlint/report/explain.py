"""Why a finding was reported, or why a line was not: the ranges the analysis used.

`--explain` adds to each finding the range of every value read in the flagged
expression (a variable, a field, an array element, a call) and where that range
came from: the value's type, a bit-field's width, an enum's enumerators, or the
code around it (a guard, case labels, a loop, an assignment; analysis/context.py).
`--explain-silent PATH:LINE` describes the expressions on one line that can go
wrong (shifts, products, conversions of an int to a wider type) and what the
analysis concluded about each.
"""

from __future__ import annotations

from ..analysis.values import ValueAnalysis
from ..front.ir import Expr, Kind
from ..front.source import Source

_READS = (Kind.DECL_REF, Kind.MEMBER, Kind.SUBSCRIPT, Kind.CALL)
_MOST = 12  # ranges listed per finding: a macro expansion can read hundreds of values


def ranges_used(root: Expr, analysis: ValueAnalysis, source: Source, within: tuple[str, int, int] | None) -> list[str]:
    """'name in [lo, hi] (why)' for each value read in root (only those spelled in
    within = (path, begin offset, end offset), when given)."""
    out: list[str] = []
    seen: set[str] = set()
    work = [root]
    while work and len(out) < _MOST:
        e = work.pop()
        if e.kind in _READS and e.type.is_integer and id(e) in analysis.values:
            line = _describe(e, analysis, source, within)
            if line and line not in seen:
                seen.add(line)
                out.append(line)
            if e.kind is not Kind.SUBSCRIPT:
                continue  # a call's arguments or a field's base are not values the result is made of
        work.extend(reversed(e.children))
    return out


def _describe(e: Expr, analysis: ValueAnalysis, source: Source, within) -> str:
    span = source.span(e)
    if within is not None:
        path, begin, end = within
        if span.begin.path != path or not begin <= span.begin.offset < end:
            return ""
    text = source.text(e, as_used=True)
    if not text:
        return ""
    value = analysis.values[id(e)]
    if value.lo is None:
        return ""
    return f"'{text}' in {_interval(value.lo, value.hi)} ({_why(e, analysis, source)})"


def _why(e: Expr, analysis: ValueAnalysis, source: Source) -> str:
    used = analysis.facts_used.get(id(e))
    if used is not None:
        return used[1].why
    if e.kind is Kind.MEMBER and e.bitfield_width:
        return f"{e.bitfield_width}-bit bit-field"
    if e.type.enum_range is not None:
        return f"the bits of enum '{source.type_spelling(e)}'s enumerators"
    if e.kind is Kind.CALL and id(e) in analysis.calls:
        return f"{analysis.calls[id(e)].name}() returns an int a shift can make negative"
    return f"type '{source.type_spelling(e)}'"


def _interval(lo: int, hi: int) -> str:
    if lo == hi:
        return f"{{{_number(lo)}}}"
    return f"[{_number(lo)}, {_number(hi)}]"


def _number(v: int) -> str:
    return str(v) if -16 <= v <= 16 else (f"-{-v:#x}" if v < 0 else f"{v:#x}")


def line_report(root: Expr, analysis: ValueAnalysis, source: Source) -> list[str]:
    """For --explain-silent: each operation in root that could go wrong, its range
    and what that means, then the ranges it was computed from."""
    out: list[str] = []
    work: list[tuple[Expr, bool]] = [(root, False)]
    while work:  # operands before the operations on them
        e, ready = work.pop()
        if not ready:
            work.append((e, True))
            work.extend((c, False) for c in reversed(e.children))
            continue
        verdict = _verdict(e, analysis, source)
        if verdict:
            text = source.text(e.children[-1] if e.kind is Kind.CAST else e, as_used=True)
            if text:
                value = analysis.values[id(e)]
                out.append(f"'{text}' in {_interval(value.lo, value.hi)}: {verdict}")
    if out:
        out.extend(f"  from: {r}" for r in ranges_used(root, analysis, source, None))
    return out


def _verdict(e: Expr, analysis: ValueAnalysis, source: Source) -> str:
    value = analysis.values.get(id(e))
    if value is None or value.lo is None:
        return ""
    t = e.type
    if e.kind is Kind.BINARY and e.op in ("<<", "*") and t.is_integer and t.signed:
        if id(e) in {id(o) for w in analysis.widenings for o in w.origins}:
            return "can be negative, and is widened where that shows"
        if value.lo >= 0:
            return f"never negative: bit {t.bits - 1} is never set"
        if any(o is e for o in value.taint):
            return "can be negative, but no conversion to a wider type shows it"
        return "a signed value that can be negative on its own (not a promoted narrow value)"
    if e.kind is Kind.CAST and e.children and t.is_integer:
        operand = e.children[-1].type
        if operand.is_integer and operand.signed and t.bits > operand.bits and not operand.is_bool:
            inner = analysis.values.get(id(e.children[-1]))
            if inner is not None and inner.lo is not None and inner.lo >= 0:
                return f"converted to '{source.type_spelling(e)}': never negative, so nothing is sign-extended"
    return ""
