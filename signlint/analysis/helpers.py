"""Summaries of helper functions: does a call return an int that a shift, a
product or a complement can make negative?

`static inline int get_hi(const u8 *p) { return p[0] << 24; }` returns an int whose
bit 31 is set when p[0] >= 0x80; a caller that widens the result to 64 bits
(`u64 x = get_hi(p);`) sign-extends it. The same holds for `return w * h;` with
u16 operands (SL002), `return ~b;` with a narrow b (SL006), and for a local int
holding such a value (`int v = p[0] << 24; return v;`). The value analysis asks
this module about a call only where such a widening happens; the answer comes from
the helper's return statements, analysed once per helper with the ranges its own
code proves (context.FunctionRanges). Only helpers defined in the same translation unit (or a
header it includes) are known; a helper returning u32 or u16 zero-extends and
needs no summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..front.ir import Expr, Kind, Stmt, StmtKind
from .context import FunctionRanges
from .facts import Fact
from .values import ValueAnalysis

# How deep summaries may ask about calls inside helpers (a helper calling a helper).
_DEPTH = 3


@dataclass(frozen=True, slots=True)
class Helper:
    """A function that returns an int a left shift, a product or a '~' can make negative."""

    name: str
    scope: object  # the front end's handle of its definition
    origins: tuple[Expr, ...]  # the operations in its return statements that can set bit 31
    # The shifts among them whose count nothing in the helper (or the call's arguments) bounds.
    unbounded: frozenset = frozenset()

    def made_by(self, op: str) -> tuple[Expr, ...]:
        """The origins that are this operator ('<<', '*', '~')."""
        return tuple(o for o in self.origins if o.op == op)


class Summaries:
    """Callable: call -> Helper, or None when the result is not known to be an int
    made negative by one of those operations. Memoised per helper."""

    def __init__(self, tu) -> None:
        self._tu = tu
        # Per helper (scope key): its scope, kept alive so that the key stays unique,
        # its parameters and its statements.
        self._functions: dict[int, tuple[object, list, Stmt | None]] = {}
        self._known: dict[tuple, Helper | None] = {}  # (scope key, argument ranges) -> summary
        self._active: set[int] = set()

    def __call__(self, call: Expr, arguments: list | None = None) -> Helper | None:
        """arguments: the value_types.Value of each argument at the call (None where
        unknown); a parameter whose argument is known to be small is summarised
        with that range (`if (b > 0x7f) return 0; u64 r = get(b);`)."""
        found = self._tu.callee(call)
        if found is None:
            return None
        scope, name = found
        scope_key = self._tu.scope_key(scope)
        if scope_key not in self._functions:  # read once per helper, however many calls and argument ranges
            self._functions[scope_key] = (scope, self._tu.parameters(scope), self._tu.statements(scope))
        _, params, body = self._functions[scope_key]
        given: dict[int, Fact] = {}
        for param, value in zip(params, arguments or [], strict=False):
            if param is None or value is None or value.lo is None:
                continue
            key, whole = param
            if (value.lo, value.hi) != whole:  # only an argument narrower than its type says something
                given[key] = Fact(value.lo, value.hi, "the argument at the call")
        key = (scope_key, tuple(sorted((k, f.lo, f.hi) for k, f in given.items())))
        if key in self._known:
            return self._known[key]
        if key[0] in self._active or len(self._active) >= _DEPTH:
            return None  # recursion: assume nothing
        self._active.add(key[0])
        try:
            helper = self._summarise(scope, name, body, given)
        finally:
            self._active.discard(key[0])
        self._known[key] = helper
        return helper

    def _summarise(self, scope, name: str, body: Stmt | None, given: dict) -> Helper | None:
        if body is None:
            return None
        ranges = FunctionRanges(body, given)
        origins: list[Expr] = []
        unbounded: set[Expr] = set()
        for value in _returned(body):
            t = value.type
            if not (t.is_integer and t.signed and t.bits == 32):
                return None  # only an int result can be negative by a shift and then widened by the caller
            analysis = ValueAnalysis(ranges.facts_at(value), helpers=self, scoped=ranges.scoped_at(value))
            result = analysis.visit(value)
            own = analysis.followed_origins(result.taint, unknown_counts=True)  # `int v = ...; return v;`
            origins.extend(own)
            unbounded.update(o for o in own if o.op == "<<" and not analysis.count_bounded(o))
            calls = (o for o in result.taint if o.kind is Kind.CALL and id(o) in analysis.calls)
            for nested in (analysis.calls[id(o)] for o in calls):
                origins.extend(nested.origins)
                unbounded.update(nested.unbounded)
        if not origins:
            return None
        return Helper(name, scope, tuple(dict.fromkeys(origins)), frozenset(unbounded))


def _returned(body: Stmt):
    """The expressions of a function's return statements."""
    work = [body]
    while work:
        s = work.pop()
        if s.kind is StmtKind.RETURN:
            yield from s.exprs
        if s.init is not None:
            work.append(s.init)
        work.extend(s.body)
