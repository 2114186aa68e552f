"""What a condition proves about a function's variables when it is true, or false.

In: a condition (ir.Expr), which way it went, and the Facts known before it. Out:
the Facts it proves: comparisons with constants (`x < 8`, `(x >> 8) == 0`, `x & ~7`),
with a variable of known range (`digit < base`), between two variables (`x <= y`:
facts.difference_key), a flag set where something else held (Fact.implied), a
predicate helper (`is_digit(buf[0])`) and isdigit/isxdigit, glibc's spelling too.
context.FunctionRanges asks at each `if`, loop, `?:` and `&&`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..front.ir import CType, Expr, Kind, implicit_gone
from .facts import Fact, Facts, difference_key, join, lvalue_key, meet
from .syntax import strip, variable
from .values import ValueAnalysis, constant


@dataclass(frozen=True, slots=True)
class Predicate:
    """A helper whose body is one `return` of a condition on its parameters
    (`static int warc_isdigit(int c) { return c >= '0' && c <= '9'; }`)."""

    name: str
    parameters: tuple  # each parameter's identity (Expr.decl), None if not an integer
    condition: Expr | None
    # A <ctype.h> test whose answer no locale changes: true means the argument is in lo..hi.
    range: tuple[int, int] | None = None


# isdigit and isxdigit accept only ASCII in every locale (C11 7.4.1.5, 7.4.1.12);
# isalpha and the others may accept bytes >= 0x80, so they prove nothing here.
CTYPE_RANGES = {"isdigit": (0x30, 0x39), "isxdigit": (0x30, 0x66)}
# glibc spells them `(*__ctype_b_loc())[(int)(c)] & _ISdigit`; the masks on a
# little-endian target (_ISbit(3), _ISbit(4)).
GLIBC_CTYPE_MASKS = {0x800: "isdigit", 0x1000: "isxdigit"}
GLIBC_CTYPE_TABLE = "__ctype_b_loc"

_NEGATED = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


class Conditions:
    """What conditions prove in one function."""

    def __init__(self, escaped: set[int], predicate=None) -> None:
        """escaped: the variables whose address is taken (nothing is assumed about them).
        predicate: call -> Predicate | None, for `if (!is_digit(buf[0]))`."""
        self._escaped = escaped
        self._predicate = predicate

    def proves(self, cond: Expr, truth: bool, why: str, held: Facts) -> Facts:
        """What `cond` being truth says about variables, held being what is known
        before it. A flag narrowed to the value it was set to brings back what held
        where it was set (Fact.implied). (What cond changes itself is the caller's
        to forget: FunctionRanges.condition.)"""
        facts = self._test(cond, truth, why, held)
        for key, f in list(facts.items()):
            old = held.get(key)
            lo, hi = (max(f.lo, old.lo), min(f.hi, old.hi)) if old is not None else (f.lo, f.hi)
            if old is not None and lo == hi:
                for value, carried in old.implied:
                    if value == lo:
                        facts = meet(facts, dict(carried))
        return facts

    def _test(self, cond: Expr, truth: bool, why: str, held: Facts) -> Facts:
        e = strip(cond)
        if e.kind is Kind.UNARY and e.op == "!":
            return self._test(e.children[0], not truth, why, held)
        if e.kind is Kind.BINARY and e.op in ("&&", "||"):
            a = self._test(e.children[0], truth, why, held)
            b = self._test(e.children[1], truth, why, held)
            both = truth == (e.op == "&&")  # `a && b` true, or `a || b` false: both hold
            return meet(a, b) if both else join(a, b)
        if e.kind is Kind.BINARY and e.op in _NEGATED:
            left, right = e.children
            for subject, other, op in ((left, right, e.op), (right, left, _MIRRORED[e.op])):
                k = constant(other)
                if k is None:
                    continue
                if k == 0 and op in ("==", "!="):  # `(x >> 8) == 0`, `(x & ~0xff) != 0`
                    return self._test(subject, truth == (op == "!="), why, held)
                return self._compare(subject, op if truth else _NEGATED[op], k, why)
            out: Facts = {}
            if held:  # `digit < base` with base known: a bound all the same
                for subject, other, op in ((left, right, e.op), (right, left, _MIRRORED[e.op])):
                    out = self._bounded_by(subject, op if truth else _NEGATED[op], other, held, why)
                    if out:
                        break
            return meet(out, self._apart(left, right, e.op if truth else _NEGATED[e.op], why))
        if e.kind is Kind.CALL and self._predicate is not None and any(_byte_read(a) for a in e.children[1:]):
            return self._called_test(e, truth, why)  # only bytes are worth a look at the helper
        if truth and e.kind is Kind.BINARY and e.op == "&" and self._predicate is not None:
            found = self._glibc_ctype(e)
            if found is not None:
                view = _view(found[0])
                lo, hi = CTYPE_RANGES[found[1]]
                return self._fact(view[0], view[1], lo, hi, f"{found[1]}() in the {why}") if view else {}
        return self._nonzero(e, truth, why, held)

    def _apart(self, left: Expr, right: Expr, op: str, why: str) -> Facts:
        """`x <= y` of two variables of one type: y - x >= 0 (`y - x` as an int or
        the type, which then does not wrap)."""
        x, y = variable(left), variable(right)
        if x is None or y is None or x.decl in self._escaped or y.decl in self._escaped or x.type != y.type:
            return {}
        if op in (">", ">="):
            x, y, op = y, x, _MIRRORED[op]
        if op not in ("<", "<="):
            return {}
        return {difference_key(y.decl, x.decl): Fact(1 if op == "<" else 0, (1 << 64) - 1, why)}

    def _bounded_by(self, subject: Expr, op: str, other: Expr, held: Facts, why: str) -> Facts:
        """subject op other, other a variable whose range the code proves."""
        if _view(subject) is None or _view(other) is None:
            return {}
        v = ValueAnalysis(held).visit(other)
        if v.lo is None:
            return {}
        if op in ("<", "<="):
            return self._compare(subject, op, v.hi, why)
        if op in (">", ">="):
            return self._compare(subject, op, v.lo, why)
        if op == "==":
            found = _view(subject)
            return self._fact(found[0], found[1], v.lo, v.hi, why)
        return {}

    def _called_test(self, call: Expr, truth: bool, why: str) -> Facts:
        """`warc_isdigit(buf[0])` true: what the helper's one return condition says
        about its parameter, said of the argument."""
        found = self._predicate(call)
        if found is None or found.condition is None and found.range is None:
            return {}
        if found.range is not None:  # isdigit(*p)
            view = _view(call.children[1]) if truth and len(call.children) == 2 else None
            return self._fact(view[0], view[1], *found.range, f"{found.name}() in the {why}") if view else {}
        inner = self._test(found.condition, truth, f"{found.name}() in the {why}", {})
        out: Facts = {}
        for param, arg in zip(found.parameters, call.children[1:], strict=False):
            fact = inner.get(param) if param is not None else None
            view = _view(arg) if fact is not None else None
            if view is not None:
                out = meet(out, self._fact(view[0], view[1], fact.lo, fact.hi, fact.why))
        return out

    def _glibc_ctype(self, e: Expr) -> tuple[Expr, str] | None:
        """(c, 'isdigit') for glibc's expansion of isdigit(c)."""
        for table, mask in (e.children, reversed(e.children)):
            name = GLIBC_CTYPE_MASKS.get(constant(mask))
            table = strip(table)
            if name is not None and self.is_glibc_ctype_table(table):
                return table.children[1], name
        return None

    def is_glibc_ctype_table(self, e: Expr) -> bool:
        """Is e `(*__ctype_b_loc())[i]`, glibc's character class table read?"""
        if e.kind is not Kind.SUBSCRIPT or len(e.children) != 2:
            return False
        base = implicit_gone(e.children[0])
        if base.kind is not Kind.UNARY or base.op != "*" or not base.children:
            return False
        call = implicit_gone(base.children[0])
        found = self._predicate(call) if call.kind is Kind.CALL else None
        return found is not None and found.name == GLIBC_CTYPE_TABLE

    def _compare(self, subject: Expr, op: str, k: int, why: str) -> Facts:
        found = _view(subject)
        if found is None:
            return {}
        var, domain = found
        lo, hi = domain.min, domain.max
        if op == "<":
            hi = k - 1
        elif op == "<=":
            hi = k
        elif op == ">":
            lo = k + 1
        elif op == ">=":
            lo = k
        elif op == "==":
            lo = hi = k
        else:
            return {}
        return self._fact(var, domain, max(lo, domain.min), min(hi, domain.max), why)

    def _nonzero(self, e: Expr, truth: bool, why: str, held: Facts) -> Facts:
        """`if (x)`, `if (x >> 8)`, `if (x & 0xff00)`: when false, bounds on x; when
        true, x >= 1 if x is known not to be negative (a flag: `if (end)`)."""
        if truth:
            found = _view(e)
            old = held.get(found[0].decl) if found is not None and found[0].kind is Kind.DECL_REF else None
            if old is None or old.lo < 0 or old.hi < 1:
                return {}
            return self._fact(found[0], found[1], max(old.lo, 1), old.hi, why)
        if e.kind is Kind.BINARY and e.op in (">>", "&"):
            subject, other = e.children
            k = constant(other)
            if k is None and e.op == "&":
                subject, other = other, subject
                k = constant(other)
            found = _view(subject)
            if k is None or found is None or k < 0 and e.op == ">>":
                return {}
            var, domain = found
            if e.op == ">>":
                bits = k  # x >> k == 0: 0 <= x < 2**k
            else:
                # The bits the variable can have: a promoted u16 has nothing above bit 15.
                width = var.type.bits if not var.type.signed else domain.bits
                mask = k % (1 << width)
                bits = (mask & -mask).bit_length() - 1 if mask else width
                if mask >> bits != (1 << (width - bits)) - 1:
                    return {}  # not every bit above is tested: `x & 0x100` == 0 says little
            return self._fact(var, domain, 0, (1 << bits) - 1, why)
        found = _view(e)
        if found is None:
            return {}
        var, domain = found
        return self._fact(var, domain, 0, 0, why)

    def _fact(self, var: Expr, domain: CType, lo: int, hi: int, why: str) -> Facts:
        """var's value, seen in `domain` (its type, or a wider one it was converted
        to), lies in lo..hi. A signed variable seen as unsigned is only known when
        lo..hi excludes what its negative values turn into."""
        t = var.type
        key = var.decl if var.kind is Kind.DECL_REF else lvalue_key(var)
        if key is None or key in self._escaped or lo > hi:
            return {}
        if t.signed and not domain.signed:
            if hi > t.max:
                return {}
            lo = max(lo, 0)
        lo, hi = max(lo, t.min), min(hi, t.max)
        if (lo, hi) == (t.min, t.max) or lo > hi:
            return {}
        return {key: Fact(lo, hi, why)}


def _view(e: Expr) -> tuple[Expr, CType] | None:
    """The variable e reads and the type its value is seen in: its own, or (for a
    signed variable compared as unsigned, `x > 5u`) the unsigned type."""
    domain = e.type
    e = strip(e)
    if e.kind is Kind.CAST and e.children and e.type.is_integer:  # `n >= 8u`, `(unsigned int)n >= 8`
        source = e.children[-1].type
        if source.is_integer and source.signed and not e.type.signed and e.type.bits >= source.bits:
            domain = e.type
            e = strip(e.children[-1])
    var = variable(e)
    if var is None and e.type.is_integer and lvalue_key(e) is not None:
        var = e  # `*p < '0'`, `p[i] > '9'`: known until memory or p (or i) changes
    return (var, domain) if var is not None and domain.is_integer else None


def _byte_read(e: Expr) -> bool:
    """A char variable, `*p` or `p[i]`, promoted: `is_digit(buf[0])`."""
    e = strip(e)
    return e.type.is_integer and e.type.bits == 8 and (
        e.kind is Kind.DECL_REF and e.decl is not None or lvalue_key(e) is not None)
