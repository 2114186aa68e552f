"""Reading a root expression: its value analysis, then, where that is not the
end of it, a second reading with what its function's code proves.

In: a TU's roots (front.TranslationUnit.roots) and a judge, the rules as a
function (analysis, function name) -> findings. Out: (expression, analysis,
findings) per root, and the same for the later reads of a variable that holds an
int a shift can have made negative. The front end's TU is the only thing read;
nothing here knows the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from ..front.ir import Expr, StmtKind
from ..records import Finding
from .byte_uses import ByteUses, drop_harmless_chars, has_char_uses
from .conditions import CTYPE_RANGES, GLIBC_CTYPE_TABLE, Predicate
from .context import FunctionRanges
from .facts import Facts
from .helpers import Summaries
from .syntax import assigned_in, reads_any
from .values import ValueAnalysis

Judge = Callable[[ValueAnalysis, str], list[Finding]]  # (analysis, function name) -> the rules' findings


class Reading(NamedTuple):
    expr: Expr  # the root as analysed (the function's own tree after a second reading)
    analysis: ValueAnalysis
    findings: list[Finding]


class Reader:
    """Reads the roots of one translation unit; helper summaries and function
    ranges are built once per TU, when a root first needs them."""

    def __init__(self, tu) -> None:
        self._tu = tu
        self.helpers = Summaries(tu)
        self.surroundings = Surroundings(tu)
        self._carrying: set[int] = set()  # functions whose stored values were followed (scope keys)

    def readings(self, root, judge: Judge, looked_at: bool = False) -> list[Reading]:
        """The root's reading (first; none when the analysis found nothing to look
        at), then, once per function, the readings of the later roots that read a
        variable this root stored a possibly negative int in."""
        first = self._read(root, judge, looked_at)
        if first is None:
            return []
        out = [first]
        key = self._tu.scope_key(root.scope) if first.analysis.stores_taint and root.scope is not None else None
        if key is not None and key not in self._carrying:
            # `int t = b << 24;`: where the function widens t later, its ones show.
            self._carrying.add(key)
            out.extend(self._reads_of_stored(root.scope, judge))
        return out

    def _read(self, root, judge: Judge, looked_at: bool) -> Reading | None:
        """The judge's findings in one root: (the expression analysed, its analysis,
        the findings), or None when the analysis found nothing to look at. A root
        with findings (or a shift whose sign, or whether its count is bounded, only
        the code around can decide) is read again with what the code around it
        proves; only then, as that costs a walk of the function."""
        analysis = ValueAnalysis(helpers=self.helpers)
        analysis.run(root.expr)
        if not (analysis.widenings or analysis.char_uses or analysis.sign_shifts or analysis.unsure or looked_at
                or analysis.stores_taint):
            return None
        expr = root.expr
        found = judge(analysis, root.function)
        if found or looked_at or analysis.unsure or analysis.widens_unbounded_shift():
            refined = self.surroundings.refine(root.scope, expr)
            chars = has_char_uses(analysis)  # judged on the function's own tree: read it again
            if refined is not None and (refined[1] or refined[2] or chars):
                expr, facts, scoped = refined
                analysis = ValueAnalysis(facts, helpers=self.helpers, scoped=scoped)
                analysis.run(expr)
                if chars and has_char_uses(analysis):
                    uses = self.surroundings.byte_uses(root.scope)
                    if uses is not None:
                        drop_harmless_chars(analysis, uses)
                found = judge(analysis, root.function)
        return Reading(expr, analysis, found)

    def _reads_of_stored(self, scope, judge: Judge) -> Iterator[Reading]:
        """The readings of the roots of a function that read a variable holding an
        int a shift, a product or a '~' can have made negative (facts.Fact.taint)."""
        for expr, facts, scoped in self.surroundings.reads_of_tainted(scope):
            analysis = ValueAnalysis(facts, helpers=self.helpers, scoped=scoped)
            analysis.run(expr)
            yield Reading(expr, analysis, judge(analysis, scope.spelling))


class Surroundings:
    """The facts around the roots of one translation unit: a function's statements
    are read (tu.statements) the first time one of its roots needs them."""

    def __init__(self, tu) -> None:
        self._tu = tu
        self._functions: dict[int, tuple[object, dict[int, Expr], FunctionRanges | None]] = {}
        self._byte_uses: dict[int, object] = {}
        self._bodies: dict[int, object] = {}  # the statements FunctionRanges read: the same objects
        self._predicates: dict[int, Predicate | None] = {}

    def refine(self, scope, root: Expr) -> tuple[Expr, Facts, dict[int, Facts]] | None:
        """The root as read with its function's statements, the facts that hold
        before it and inside its branches (FunctionRanges.scoped_at); None when
        nothing is known (file scope, an unreadable body)."""
        if scope is None:
            return None
        _, roots, ranges = self._function(scope)
        same = roots.get(self._tu.root_key(root))
        if same is None or ranges is None:
            return None
        return same, ranges.facts_at(same), ranges.scoped_at(same)

    def reads_of_tainted(self, scope) -> list[tuple[Expr, Facts, dict[int, Facts]]]:
        """The roots of a function that read a variable holding an int an earlier
        statement can have made negative (a Fact with taint), with the facts before
        them and inside their branches."""
        _, _, ranges = self._function(scope)
        if ranges is None:
            return []
        out = []
        for root in ranges.roots():
            facts = ranges.facts_at(root)
            tainted = {v for v, f in facts.items() if f.taint}
            if tainted and reads_any(root, tainted):
                out.append((root, facts, ranges.scoped_at(root)))
        return out

    def _predicate_of(self, call: Expr) -> Predicate | None:
        found = self._tu.callee(call)
        if found is None:
            name = self._tu.callee_name(call)
            if name in CTYPE_RANGES:
                return Predicate(name, (None,), None, CTYPE_RANGES[name])
            return Predicate(name, (), None) if name == GLIBC_CTYPE_TABLE else None
        scope, name = found
        key = self._tu.scope_key(scope)
        if key in self._predicates:
            return self._predicates[key]
        # A header's inline helpers are many and rarely tests of a byte; a recursive
        # helper is no predicate (the entry is set before its body is read).
        self._predicates[key] = None
        if self._tu.in_main_file(scope) and self._tu.is_one_return(scope):
            stmts = self._tu.statements(scope).body
            ret = stmts[0] if len(stmts) == 1 and stmts[0].kind is StmtKind.RETURN else None
            if ret is not None and ret.exprs and not assigned_in(ret.exprs[0]):
                params = tuple(p[0] if p else None for p in self._tu.parameters(scope))
                self._predicates[key] = Predicate(name, params, ret.exprs[0])
        return self._predicates[key]

    def byte_uses(self, scope):
        """The uses of the function's variables (byte_uses.ByteUses), built once."""
        key = self._tu.scope_key(scope)
        if key not in self._byte_uses:
            _, _, ranges = self._function(scope)
            body = self._bodies.get(key)
            self._byte_uses[key] = ByteUses(body, ranges) if body is not None and ranges is not None else None
        return self._byte_uses[key]

    def _function(self, scope) -> tuple[object, dict[int, Expr], FunctionRanges | None]:
        key = self._tu.scope_key(scope)
        entry = self._functions.get(key)
        if entry is None:
            body = self._bodies[key] = self._tu.statements(scope)
            ranges = FunctionRanges(body, predicate=self._predicate_of) if body is not None else None
            roots = {self._tu.root_key(e): e for e in ranges.roots()} if ranges is not None else {}
            entry = self._functions[key] = (scope, roots, ranges)  # the scope is kept: its key stays unique
        return entry
