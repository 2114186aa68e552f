"""What is known about a function's variables at one point, and how facts combine.

In: Facts, a dict from a key to a Fact (lo <= value <= hi, and why). A key is a
local variable (Expr.decl), a value read through a local pointer (lvalue_key: `*p`,
`p[i]`) or the difference of two variables (difference_key). Out: the facts where
both of two sets hold (meet), where one of them does (join), and what is left
when variables or memory change (without).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..front.ir import Expr, Kind, implicit_gone


@dataclass(frozen=True, slots=True)
class Fact:
    """What is known about a variable: lo <= value <= hi, and why."""

    lo: int
    hi: int
    why: str  # 'guard on line 12', 'case labels on line 30', 'loop on line 40'
    # The shifts, products and complements that can have made the int it holds negative
    # (`int t = b << 24;`): where the variable is widened, its ones come from them.
    taint: frozenset = frozenset()
    # What else held where the variable was set to a constant (`if (isdigit(buf[3])) end
    # = 1;`): (value, facts as items) pairs, for a later `if (end == 1)` (a flag).
    implied: tuple = ()


Facts = dict[int, Fact]  # variable identity (Expr.decl), or a `*p`/`p[i]` (lvalue_key) -> Fact

# Facts are about local variables, keyed by Expr.decl (a cursor hash), and about
# values read through a local pointer: `*p`, `p[i]`, `p[3]` with p and i local,
# keyed by a tuple (lvalue_key). In a set of changed variables, MEMORY says that
# memory was written (a store through a pointer, a call): every fact about a
# pointed-to value ends there.
MEMORY = -1

# In a set of changed variables: memory was written through a parameter that the
# function never changes (`*rdata_pos = ...`). Its target existed before the call,
# so the function's own arrays are not it.
OUTSIDE = -2

LvalueKey = tuple  # (the pointer: a decl or an LvalueKey, 'k' or 'v', a constant index or the index's decl)


LVALUE_LEVELS = 8  # `***p` has a key; reads through more pointers than this have none


def lvalue_key(e: Expr) -> LvalueKey | None:
    """The identity of `*p` (`*p++` too), `p[i]` or `p[K]` (p, i local variables, or p
    itself such a read: `**pp`), for facts about the value read there; None for any
    other expression."""
    levels: list[tuple[Expr | None, bool]] = []  # (index or None for `*`, of a local array), outermost first
    while len(levels) < LVALUE_LEVELS:
        if e.kind is Kind.UNARY and e.op == "*" and e.children:
            base, index = e.children[0], None
        elif e.kind is Kind.SUBSCRIPT and len(e.children) == 2:
            base, index = e.children
        else:
            return None
        base = implicit_gone(base)
        if index is None and base.kind is Kind.UNARY and base.op in ("post++", "post--") and base.children:
            base = implicit_gone(base.children[0])  # `*p++` reads *p, then p moves
        levels.append((index, base.kind is Kind.DECL_REF and not base.type.is_pointer))  # array: `head[4]`
        if base.kind is Kind.DECL_REF and base.decl is not None:
            key = base.decl
            break
        if base.kind not in (Kind.UNARY, Kind.SUBSCRIPT):
            return None
        e = base
    else:
        return None
    for index, array in reversed(levels):
        k = 0 if index is None else index.value
        if k is not None:
            key = (key, "ka" if array else "k", k)  # `*p` is `p[0]`
            continue
        var = implicit_gone(index)
        if var.kind is not Kind.DECL_REF or var.decl is None:
            return None
        key = (key, "va" if array else "v", var.decl)
    return key


def is_local_array_element(key: LvalueKey) -> bool:
    """An element of an array the function declares (`head[4]`), not memory a pointer reaches."""
    return key[1] in ("ka", "va")


def lvalue_reads(key: LvalueKey) -> frozenset[int]:
    """The variables an lvalue key (or a difference_key) reads: its pointers and indexes."""
    out = set()
    while True:
        pointer, how, index = key
        if how in ("v", "va", "-"):
            out.add(index)
        if not isinstance(pointer, tuple):
            out.add(pointer)
            return frozenset(out)
        key = pointer


def difference_key(x: int, y: int) -> tuple:
    """The key of a fact about x - y (x, y local variables): after `if (y > x) return;`
    it is at least 0. It is no read through a pointer: memory writes leave it."""
    return (x, "-", y)


def meet(a: Facts, b: Facts) -> Facts:
    """Both hold: the intersection (a contradiction, dead code, keeps a)."""
    if not b:
        return a
    out = dict(a)
    for var, f in b.items():
        old = out.get(var)
        if old is None:
            out[var] = f
        elif max(old.lo, f.lo) <= min(old.hi, f.hi):
            why = f.why if (f.lo, f.hi) != (old.lo, old.hi) else old.why
            out[var] = Fact(max(old.lo, f.lo), min(old.hi, f.hi), why, old.taint | f.taint, old.implied + f.implied)
    return out


def join(a: Facts, b: Facts) -> Facts:
    """One of them holds: what both know, widened to cover both."""
    out = {}
    for var, f in a.items():
        g = b.get(var)
        if g is not None:
            if (f.lo, f.hi, f.taint, f.implied) == (g.lo, g.hi, g.taint, g.implied):
                out[var] = f
                continue
            implied = _implied_either(f, g) if f.implied or g.implied else ()
            out[var] = Fact(min(f.lo, g.lo), max(f.hi, g.hi), f.why, f.taint | g.taint, implied)
    return out


def _implied_either(f: Fact, g: Fact) -> tuple:
    """The implications of a flag that is f on one way and g on the other: a value
    only one way can give keeps that way's; one both ways give, what both imply."""
    out = []
    for mine, theirs in ((f, g), (g, f)):
        for value, carried in mine.implied:
            if not theirs.lo <= value <= theirs.hi:
                out.append((value, carried))
            elif mine is f:
                for other_value, other in theirs.implied:
                    if other_value == value:
                        both = join(dict(carried), dict(other))
                        if both:
                            out.append((value, tuple(both.items())))
    return tuple(out)


def without(facts: Facts, variables) -> Facts:
    """facts without those about `variables` (MEMORY among them: without every fact
    about a value read through a pointer), nor about `*p`, `p[i]` when p or i changed."""
    if not variables or not facts:
        return facts

    def gone(key) -> bool:
        if key in variables:
            return True
        if not isinstance(key, tuple):
            return False
        if key[1] != "-" and (MEMORY in variables or OUTSIDE in variables and not is_local_array_element(key)):
            return True
        return not lvalue_reads(key).isdisjoint(variables)

    def kept(f: Fact) -> Fact:
        if not f.implied:
            return f
        implied = tuple((value, left) for value, carried in f.implied
                        if (left := tuple((k, g) for k, g in carried if not gone(k))))
        return f if implied == f.implied else replace(f, implied=implied)

    if not any(gone(k) or f.implied for k, f in facts.items()):
        return facts
    return {v: kept(f) for v, f in facts.items() if not gone(v)}


def about_memory(facts: Facts) -> bool:
    """Is anything known about a value read through a pointer (lvalue_key)?"""
    return any(isinstance(k, tuple) and k[1] != "-" for k in facts)
