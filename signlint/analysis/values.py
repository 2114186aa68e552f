"""Value ranges of integer expressions, and where a possibly negative int is widened.

For every integer-typed expression the analysis knows an interval [lo, hi] that its
value lies in (the type's whole range when nothing better is known). Narrow
unsigned operands, bit-fields, literals, masks, constant shift counts and casts
make the interval small; an int of unknown range is simply the whole int range,
and the reasoning stops there.

Facts that travel with a value besides its interval:
- taint: left shifts of a provably non-negative value whose signed result can
  reach the sign bit. Such a value is negative *only because of the shift*; that
  is the bug signlint looks for. Taint flows through | ^ + - & / % ?: casts to
  the same signed type and parentheses (not through >>: shifting a shifted int back
  is how C code sign-extends on purpose), and stops at anything that makes the
  value non-negative again (a mask, a conversion to an unsigned or narrower type).
  An origin can also be the read of a local int that an earlier statement made
  negative that way (`int t = b << 24; ... t`; facts.Fact.taint, `carried`).
- pending: sign extensions (widenings of a tainted value to a wider type) whose
  ones may still be cut off before anyone sees them: `u32 r = x64 | (b << 24)`,
  `(b << 24) & 0xffffffffULL` or `(u64)(b << 24) << 32` are harmless. Each keeps
  the lowest bit its ones can occupy, moved by shifts; a widening is reported
  (committed) as soon as its value is used where those bits can be observed.
  A char's sign ones (bits 8 and up of a promoted negative char) are pending too:
  latent while the char is used as a number, a byte use (SL003) once it is
  converted to unsigned, shifted, masked, OR-ed, XOR-ed or added as a byte, and
  reported only where they show (`(uint8_t)(c | w)`, `(u32)c << 24` are right).
- lost: upper bits an unsigned 32-bit value lost (`w << 12`, `~m32`): SL004 and
  SL006 when it is widened (a zero extension, pending like a sign extension).
- ideal_hi: a bound of the value as meant, without the ones of its pending
  extensions: `(u32)c << 16` loses only a char's sign ones (SL003's bug, not
  SL004's), `(c & 0x1ff) << 23` reaches bit 31 only through them.

The Values and Widenings are value_types'; the rule for each kind of expression
is operators.OperatorRules', which ValueAnalysis builds on: this module keeps what
the rules record and what the analysis answers about it afterwards.
"""

from __future__ import annotations

from ..front.ir import Expr, Kind, implicit_gone
from .facts import LVALUE_LEVELS, MEMORY, LvalueKey, difference_key, is_local_array_element, lvalue_key, lvalue_reads
from .operators import OperatorRules
from .syntax import assembles_bytes, is_char_promotion
from .value_types import LATENT, NOTHING, Extension, Value, Widening, bounded_count, shift_counts, type_range

# Where these lived before they had modules of their own: importers of values need no change.
__all__ = ["LATENT", "LVALUE_LEVELS", "MEMORY", "NOTHING", "Extension", "LvalueKey", "Value", "ValueAnalysis",
           "Widening", "assembles_bytes", "bounded_count", "constant", "difference_key", "is_char_promotion",
           "is_local_array_element", "lvalue_key", "lvalue_reads", "shift_counts", "type_range"]


class ValueAnalysis(OperatorRules):
    """Computes Values bottom-up over one expression tree and collects the
    widenings that are observable (committed). The rules are OperatorRules';
    this class holds what they read and record."""

    def __init__(self, facts: dict | None = None, helpers=None, scoped: dict | None = None) -> None:
        """facts: what the code around the expression proves about its variables
        (facts.Facts, keyed by Expr.decl); scoped: the facts that hold instead
        inside some subexpressions (id(expr) -> Facts: the branches of `x < 8 ? 1 << x : 0`).
        helpers: a function from a call to the origins that can make its int
        result negative (helpers.Summaries)."""
        self.facts = facts or {}
        self.scoped = scoped or {}
        self.helpers = helpers
        self.facts_used: dict[int, tuple[Expr, object]] = {}  # id(variable read) -> (it, the Fact used)
        self.calls: dict[int, object] = {}  # id(call) -> its helpers.Helper, for calls whose int result is widened
        # id(variable read) -> (it, its facts.Fact), for reads of an int that a shift, a product or
        # a '~' in an earlier statement can have made negative (`int t = b << 24; ... t`): the read
        # is the origin of its value's taint.
        self.carried: dict[int, tuple[Expr, object]] = {}
        # Is a value that may be negative by an origin's doing kept as an int (`int t = b << 24;`,
        # `t = w * h;`)? Then reads of it later in the function may widen it (context.py; whether
        # a shift's count is known is decided there, with the ranges the function proves).
        self.stores_taint = False
        self.widenings: list[Widening] = []
        self.values: dict[int, Value] = {}  # id(expr) -> Value, for --explain and tests
        self.sign_shifts: list[Expr] = []  # every '<<' that can set the sign bit of a non-negative int
        self.char_uses: list[tuple[Expr, Expr]] = []  # (char promotion, where it is used as a byte)
        # A shift of a value that may be negative only because of its range (`(0xff - h) << 24`):
        # what the code around proves about h could make it a finding.
        self.unsure = False
        self._assembles: dict[int, bool] = {}  # assembles_bytes, asked of every '+' of a long sum

    def run(self, root: Expr) -> Value:
        value = self.visit(root)
        self._assembles.clear()  # by id: good for this tree only
        self._commit(value)
        self.stores_taint = self.stores_taint or bool(self.followed_origins(value.taint, unknown_counts=True))
        return value

    def followed_origins(self, taint: frozenset, unknown_counts: bool = False) -> frozenset:
        """The shifts, products and complements behind a value's taint, through the
        variables it read (`int u = t | 1;` after `int t = b << 24;`: t's shift): what
        a variable assigned the value carries (facts.Fact.taint). A char is not
        among them: its int is a number until it is used as a byte. Nor is a shift by
        a count of unknown range (`1 << order`): reported where it is widened in
        place, as Coverity assumes such a count can reach 31, but not followed into
        variables, where that assumption would be most of the noise (a block or page
        size kept in an int, its bound set elsewhere); unknown_counts keeps them (a
        helper's result, reported at its call as a direct shift would be)."""
        out = set()
        for origin in taint:
            carried = self.carried.get(id(origin))
            if carried is not None:
                out |= carried[1].taint
            elif origin.kind is Kind.BINARY and origin.op == "<<":
                count = self.values.get(id(origin.children[1]))
                known = count is not None and count.lo is not None and count.lo >= 0 and count.hi < origin.type.bits
                if known or unknown_counts:
                    out.add(origin)
            elif origin.kind is Kind.BINARY and origin.op == "*" or origin.kind is Kind.UNARY and origin.op == "~":
                out.add(origin)
        return frozenset(out)

    def count_bounded(self, shift: Expr) -> bool:
        """Is the count of this shift bounded by the code (bounded_count)? A shift this
        analysis did not see came from a variable's earlier assignment, and the context
        keeps only shifts by bounded counts in variables (followed_origins)."""
        count = self.values.get(id(shift.children[1]))
        return count is None or bounded_count(count, shift.type)

    def widens_unbounded_shift(self) -> bool:
        """Is an int that a shift by an unbounded count can make negative widened?
        What the function proves about the count decides between SL001 and SL007."""
        for widening in self.widenings:
            for origin in widening.origins:
                helper = self.calls.get(id(origin))
                if helper is not None and helper.unbounded:
                    return True
                if origin.kind is Kind.BINARY and origin.op == "<<" and not self.count_bounded(origin):
                    return True
        return False

    def _commit(self, *values: Value) -> None:
        for v in values:
            self.widenings.extend(x.widening for x in v.pending if x.widening.kind != LATENT)

    def visit(self, root: Expr) -> Value:
        """Post-order, without recursion: kernel macro expansions nest thousands deep."""
        done: list[Value] = []
        outer = self.facts
        work: list[tuple[Expr, bool, dict]] = [(root, False, self.scoped.get(id(root), outer))]
        while work:
            e, ready, facts = work.pop()
            if not ready:
                work.append((e, True, facts))
                work.extend((c, False, self.scoped.get(id(c), facts)) for c in reversed(e.children))
                continue
            n = len(e.children)
            kids = done[len(done) - n :] if n else []
            del done[len(done) - n :]
            self.facts = facts
            value = self._transfer(e, kids)
            self.values[id(e)] = value
            done.append(value)
        self.facts = outer
        return done[0]

    def _fact_about(self, e: Expr, key: int | None) -> Value | None:
        """e's value as a fact (facts.Fact) about the variable or lvalue `key` says."""
        fact = self.facts.get(key) if key is not None else None
        if fact is None or not e.type.is_integer:
            return None
        t = e.type
        lo, hi = max(t.min, fact.lo), min(t.max, fact.hi)
        if lo > hi:
            return None
        self.facts_used[id(e)] = (e, fact)
        if fact.taint and lo < 0:
            self.carried[id(e)] = (e, fact)
            return Value(lo, hi, frozenset({e}))
        return Value(lo, hi)

    def _difference_fact(self, e: Expr):
        """The fact (facts.Fact) about x - y, for `x - y` of two variables."""
        x, y = (implicit_gone(c) for c in e.children)
        if x.kind is not Kind.DECL_REF or y.kind is not Kind.DECL_REF or x.decl is None or y.decl is None:
            return None
        return self.facts.get(difference_key(x.decl, y.decl))


def constant(e: Expr) -> int | None:
    """e's value, when the value analysis finds a single one (`8`, `1 << 3`, an enumerator)."""
    v = ValueAnalysis().visit(e)
    return v.lo if v.lo is not None and v.lo == v.hi else None
