"""C types, expression trees, and the evaluations the oracle compares.

- ideal(): what the author meant. Every value is an unbounded integer; only
  explicit casts to a narrower unsigned type (and the sink) reduce it modulo
  2^width. No promotion to int, so no sign ever appears: a `char` byte reads as
  an unsigned byte (except a `signed char` the sink takes whole, through casts
  and ?: only: a declared signed number, its value is meant), `a << k` and `a * b` keep every bit (as if computed in the
  sink's width), `~x` of a 32- or 64-bit unsigned x is the complement in any
  wider width (ones above), and `~b` of a promoted narrow b is the int's 32 bits,
  zero-extended (the convention of SL001: the int is not meant to be negative),
  except as an operand of '&' (`x & ~b`, `r &= ~b`): a mask, ones above.
- c_eval(): what C does on x86_64 (LP64, gcc, char signed): integer promotions,
  the usual arithmetic conversions, shifts of int into bit 31 and int products
  that overflow giving the two's-complement bits (what gcc -O0 does; -O2 may
  exploit the product's overflow), sign extension of negative ints when they are
  widened. With zext=True every widening of a signed value zero-extends instead.
- fixed(): the expression with the fixes of some rules applied at their *sites*
  (site_rule()): an int shift that can set bit 31 (SL001), an int product that can
  pass INT_MAX (SL002), a char (SL003), a u32 shift that can lose bits (SL004), a
  complement of a promoted or 32-bit value (SL006) give their ideal value there.
  With every fix applied, C gives the ideal value (the oracle checks it on every
  input); attribution() says which rules' differences a wrong value shows.

The generator keeps expressions inside a domain (problems()): the original tree
has no undefined behaviour other than an int shift into bit 31 and the overflow of
an int product of non-negative operands, and no idiom whose intent is unclear
(`>>` of a possibly negative int, `~` of a signed value); the fully fixed tree has
no C value that loses bits at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1
INT_MAX = (1 << 31) - 1
CLEAN = 1 << 10  # Node.dirty when the C bits equal the ideal bits


@dataclass(frozen=True)
class CType:
    spelling: str
    bits: int
    signed: bool

    @property
    def umask(self) -> int:
        return (1 << self.bits) - 1

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else self.umask

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    def wrap(self, v: int) -> int:
        """v modulo 2^bits, read as this type (two's complement when signed)."""
        v &= self.umask
        if self.signed and v >> (self.bits - 1):
            v -= 1 << self.bits
        return v


INT = CType("int", 32, True)
UINT = CType("unsigned int", 32, False)
U8 = CType("uint8_t", 8, False)
U16 = CType("uint16_t", 16, False)
U32 = CType("uint32_t", 32, False)
U64 = CType("uint64_t", 64, False)
I64 = CType("int64_t", 64, True)
ULONG = CType("unsigned long", 64, False)
ULL = CType("unsigned long long", 64, False)
CHAR = CType("char", 8, True)  # signed on x86
SCHAR = CType("signed char", 8, True)
UCHAR = CType("unsigned char", 8, False)


def promote(t: CType) -> CType:
    """Integer promotion: everything narrower than int (bit-fields included) becomes int."""
    return INT if t.bits < 32 else t


def common(a: CType, b: CType) -> CType:
    """The usual arithmetic conversions (LP64)."""
    a, b = promote(a), promote(b)
    if (a.bits, a.signed) == (b.bits, b.signed):
        return a
    if a.signed == b.signed:
        return a if a.bits >= b.bits else b
    u, s = (b, a) if a.signed else (a, b)
    return u if u.bits >= s.bits else s


def convert(v: int, frm: CType, to: CType, zext: bool = False) -> int:
    if zext and frm.signed and to.bits > frm.bits and v < 0:
        v += 1 << frm.bits  # widen the bits as if they were unsigned
    return to.wrap(v)


def _conv(r: tuple[int, int], to: CType) -> tuple[int, int]:
    """A C value range converted to `to` (the whole range of `to` when it does not fit)."""
    return r if to.min <= r[0] and r[1] <= to.max else (to.min, to.max)


def _fit(lo: int, hi: int, t: CType) -> tuple[int, int]:
    return (lo, hi) if t.min <= lo and hi <= t.max else (t.min, t.max)


def _ones(bits: int) -> int:
    return (1 << bits) - 1


# -- operands ------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One input of a generated function.

    key: the name in input vectors and in the C function ('b0', 'buf[3]', 'cb[2]', 'f2', 'c0').
    kind: 'param' (a parameter), 'buf' (an element of `const uint8_t *buf`), 'cbuf'
    (an element of `const char *cb`), 'field' (a member of the function's struct),
    'cond' (the int tested by ?:). Input values are unsigned: a char's is its byte.
    """

    key: str
    kind: str
    declared: CType  # the declared type (a bit-field's declared type, e.g. unsigned long)
    width: int  # value bits: 8, 16, 32, 64 or the bit-field width
    bitfield: bool = False
    # A guard before the expression (oracle/context.py) lets only lo..hi reach it (as
    # the declared type reads them); hints: other values worth feeding (case labels).
    lo: int = 0
    hi: int | None = None
    hints: tuple[int, ...] = ()

    @property
    def narrowed(self) -> bool:
        return self.hi is not None or self.lo != 0

    @property
    def top(self) -> int:
        return self.umask if self.hi is None else self.hi

    @property
    def type(self) -> CType:
        """The type of an expression naming this slot (before promotion)."""
        if self.bitfield and self.width < 32:
            return CType(f"{self.declared.spelling}:{self.width}", self.width, False)
        return self.declared

    @property
    def umask(self) -> int:
        return (1 << self.width) - 1

    @property
    def index(self) -> int:
        return int(self.key[self.key.index("[") + 1 : -1])

    @property
    def is_char(self) -> bool:
        return self.declared.bits == 8 and self.declared.signed


# -- expression trees ---------------------------------------------------------
# Every node knows its C type and, about its ideal value: `mask` (the bits it can
# have, below bit 64), `lo` (a lower bound) and `ones` (it can be negative: ones
# above bit 63); about its C value: `crange` (an interval, in its type) and `dirty`
# (the lowest bit where the C value can differ from the ideal one inside the type:
# 8 for a promoted char, CLEAN when none).


class Node:
    __slots__ = ("type", "mask", "lo", "ones", "crange", "dirty", "lax")
    kids: tuple = ()

    def with_kids(self, kids: tuple) -> Node:
        raise NotImplementedError


class Var(Node):
    __slots__ = ("slot",)

    def __init__(self, slot: Slot):
        self.slot = slot
        t = self.type = slot.type
        self.mask, self.lo, self.ones = slot.umask, 0, False
        if t.signed:
            self.crange, self.dirty = (t.min, t.max), t.bits
        else:
            self.crange, self.dirty = (0, slot.umask), CLEAN
            if slot.narrowed:  # only the values a guard lets through reach the expression
                self.mask, self.lo, self.crange = _ones(slot.top.bit_length()), slot.lo, (slot.lo, slot.top)

    def with_kids(self, kids):
        return self


class Lit(Node):
    __slots__ = ("value", "suffix")

    def __init__(self, value: int, suffix: str = ""):
        self.value, self.suffix = value, suffix
        if suffix:
            self.type = ULL
        elif value <= INT_MAX:
            self.type = INT
        elif value <= UINT.max:
            self.type = UINT  # a hex constant too big for int is unsigned int
        else:
            self.type = CType("long", 64, True)
        self.mask = self.lo = value
        self.ones, self.crange, self.dirty = False, (value, value), CLEAN

    @property
    def text(self) -> str:
        return (str(self.value) if self.value < 10 else hex(self.value)) + self.suffix

    def with_kids(self, kids):
        return self


class Shift(Node):
    __slots__ = ("op", "a", "count", "split")

    def __init__(self, op: str, a: Node, count: int, split: int = 0):
        """split > 0 spells the count as a constant expression: `(split + rest)`."""
        self.op, self.a, self.count, self.split = op, a, count, split
        t = self.type = promote(a.type)
        k = count
        lo, hi = _conv(a.crange, t)
        if op == "<<":
            self.mask, self.lo = a.mask << k, a.lo << k
            self.crange = (t.min, t.max) if lo < 0 or hi << k > t.max else (lo << k, hi << k)
            self.dirty = min(CLEAN, a.dirty + k)
        else:
            self.mask, self.lo = a.mask >> k, a.lo >> k
            self.crange = (lo >> k, hi >> k)
            self.dirty = max(0, a.dirty - k) if a.dirty < CLEAN else CLEAN
        self.ones = a.ones

    @property
    def kids(self):
        return (self.a,)

    def with_kids(self, kids):
        return Shift(self.op, kids[0], self.count, self.split)


class Bin(Node):
    __slots__ = ("op", "a", "b")

    def __init__(self, op: str, a: Node, b: Node):
        self.op, self.a, self.b = op, a, b
        t = self.type = common(a.type, b.type)
        (alo, ahi), (blo, bhi) = _conv(a.crange, t), _conv(b.crange, t)
        self.dirty = min(a.dirty, b.dirty)
        if op == "&":
            am, bm = (MASK64 if _is_mask(x) else x.mask for x in (a, b))
            self.mask, self.lo, self.ones = am & bm, 0, (a.ones or _is_mask(a)) and (b.ones or _is_mask(b))
            if alo >= 0 and blo >= 0:
                self.crange = (0, min(ahi, bhi))
            elif alo >= 0 or blo >= 0:
                self.crange = (0, ahi if alo >= 0 else bhi)
            else:
                self.crange = (t.min, t.max)
            for x, y in ((a, b), (b, a)):  # a clean mask below the dirty bits cleans them
                if x.dirty == CLEAN and not x.ones and x.crange[0] >= 0 and x.mask >> y.dirty == 0:
                    self.dirty = CLEAN
        elif op in ("|", "^") or (op == "+" and not a.mask & b.mask):
            self.mask = a.mask | b.mask
            self.lo = max(a.lo, b.lo) if op == "|" else a.lo + b.lo if op == "+" else 0
            self.ones = a.ones or b.ones
            if op == "+":
                self.crange = _fit(alo + blo, ahi + bhi, t)
            else:
                self.crange = (0, _ones(max(ahi, bhi).bit_length())) if alo >= 0 and blo >= 0 else (t.min, t.max)
        elif op == "+":  # with carries
            self.mask, self.lo, self.ones = _ones((a.mask + b.mask).bit_length()), a.lo + b.lo, a.ones or b.ones
            self.crange = _fit(alo + blo, ahi + bhi, t)
        elif op == "-":
            self.ones = a.ones or b.ones or a.lo < b.mask
            self.mask = MASK64 if self.ones else _ones(a.mask.bit_length())
            self.lo = max(0, a.lo - b.mask)
            self.crange = _fit(alo - bhi, ahi - blo, t)
        elif op == "*":
            self.mask, self.lo, self.ones = _ones((a.mask * b.mask).bit_length()), a.lo * b.lo, a.ones or b.ones
            corners = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
            self.crange = _fit(min(corners), max(corners), t)
        else:
            raise ValueError(op)
        if self.ones:
            self.mask = MASK64

    @property
    def kids(self):
        return (self.a, self.b)

    def with_kids(self, kids):
        return Bin(self.op, kids[0], kids[1])


class Cast(Node):
    __slots__ = ("a",)

    def __init__(self, to: CType, a: Node):
        self.a = a
        self.type = to
        self.mask = a.mask & to.umask
        self.lo = a.lo if not a.ones and a.mask <= to.umask else 0
        self.ones = False
        self.crange = _conv(a.crange, to)
        self.dirty = CLEAN if to.bits <= a.dirty else a.dirty

    @property
    def kids(self):
        return (self.a,)

    def with_kids(self, kids):
        return Cast(self.type, kids[0])


class Cond(Node):
    __slots__ = ("cond", "a", "b")

    def __init__(self, cond: Slot, a: Node, b: Node):
        self.cond, self.a, self.b = cond, a, b
        t = self.type = common(a.type, b.type)
        self.mask, self.lo, self.ones = a.mask | b.mask, min(a.lo, b.lo), a.ones or b.ones
        (alo, ahi), (blo, bhi) = _conv(a.crange, t), _conv(b.crange, t)
        self.crange = (min(alo, blo), max(ahi, bhi))
        self.dirty = min(a.dirty, b.dirty)

    @property
    def kids(self):
        return (self.a, self.b)

    def with_kids(self, kids):
        return Cond(self.cond, kids[0], kids[1])


class Unary(Node):
    """`~a`. narrow: the operand is promoted to int (decided on the original tree and
    kept by the fix, which changes the operand's type)."""

    __slots__ = ("op", "a", "narrow")

    def __init__(self, op: str, a: Node, narrow: bool | None = None):
        assert op == "~"
        self.op, self.a = op, a
        t = self.type = promote(a.type)
        self.narrow = t == INT if narrow is None else narrow
        if self.narrow:
            self.mask, self.lo, self.ones = MASK32, MASK32 - (a.mask & MASK32), False
        else:
            self.mask, self.lo, self.ones = MASK64, 0, True
        lo, hi = _conv(a.crange, t)
        self.crange = (~hi, ~lo) if t.signed else (t.umask - hi, t.umask - lo)
        self.dirty = a.dirty

    @property
    def kids(self):
        return (self.a,)

    def with_kids(self, kids):
        return Unary(self.op, kids[0], self.narrow)


def _is_mask(node: Node) -> bool:
    """`~b` of a promoted b as an operand of '&': a mask, meant to clear b's bits in
    the other operand, whatever its width; C's sign extension gives exactly that."""
    return isinstance(node, Unary) and node.narrow


def positions(node: Node, path=()):
    """(path, node) for every node of the tree; a path is the child indexes from the root."""
    yield path, node
    for i, k in enumerate(node.kids):
        yield from positions(k, (*path, i))


def replace_at(node: Node, path, new: Node) -> Node:
    """The tree with the node at path replaced by new."""
    if not path:
        return new
    kids = list(node.kids)
    kids[path[0]] = replace_at(kids[path[0]], path[1:], new)
    return node.with_kids(tuple(kids))


def walk(node: Node):
    yield node
    for k in node.kids:
        yield from walk(k)


# -- rule sites and their fixes ---------------------------------------------------

SITE_RULES = ("SL001", "SL002", "SL003", "SL004", "SL006")


def site_rule(node: Node, in_and: bool = False, whole: bool = False) -> str | None:
    """The rule whose kind of difference this node can cause, if any (in_and: the
    node is an operand of '&'; whole: see ideal_fn, a `signed char` there is a number)."""
    t = node.type
    if isinstance(node, Shift) and node.op == "<<":
        if t == INT and node.a.mask << node.count > INT_MAX:
            return "SL001"
        if t.bits == 32 and not t.signed and node.a.mask << node.count >> 32:
            return "SL004"
    if isinstance(node, Bin) and node.op == "*" and t == INT and node.a.mask * node.b.mask > INT_MAX:
        return "SL002"
    if isinstance(node, Var) and node.slot.is_char and not (whole and node.type == SCHAR):
        return "SL003"
    if isinstance(node, Unary) and node.op == "~" and (not in_and if node.narrow else t.bits == 32):
        return "SL006"
    return None


def _and_operands(node: Node) -> bool:
    return isinstance(node, Bin) and node.op == "&"


def _whole_kids(node: Node, whole: bool) -> bool:
    """Do node's operands still reach the sink as whole values (ideal_fn's `whole`)?"""
    return whole and isinstance(node, (Cast, Cond))


def site_rules(node: Node, in_and: bool = False, whole: bool = False) -> set[str]:
    out = {r} if (r := site_rule(node, in_and, whole)) else set()
    for k in node.kids:
        out |= site_rules(k, _and_operands(node), _whole_kids(node, whole))
    return out


def fixed(node: Node, rules, in_and: bool = False, whole: bool = False) -> Node:
    """The tree with the fixes of `rules` applied at their sites.

    SL003 reads the char as an unsigned char (`(unsigned char)c`, a non-negative int:
    nothing else changes). The other sites are made *lax*: computed with their ideal
    value (not reduced to their type, so never negative, and with the bits above 32
    of SL004 and the 32-bit case of SL006), keeping their type; the 32-bit '|', '&',
    '^', '+', '-', ?: (and unsigned '<<') of the same type above them are lax too. Everything
    else converts a lax value as C converts its type (a cast, an unsigned int
    operand, the sink: reduced modulo the width). A C fix would change types
    (`(uint64_t)b << 24` widens everything it is combined with, which can add or
    remove sign extensions of other sites); a lax site changes nothing but itself."""
    rule = site_rule(node, in_and, whole)
    kids = tuple(fixed(k, rules, _and_operands(node), _whole_kids(node, whole)) for k in node.kids)
    new = node.with_kids(kids) if kids else node
    if rule in rules:
        if rule == "SL003":
            return Cast(UCHAR, node)
        new.lax = True
    elif new.type.bits == 32 and _passes_lax(new) and any(_keeps_lax(k, new.type) for k in kids):
        new.lax = True
    return new


def _passes_lax(node: Node) -> bool:
    if isinstance(node, Bin):
        return node.op in ("|", "&", "^", "+", "-")
    return isinstance(node, Cond) or isinstance(node, Shift) and node.op == "<<" and not node.type.signed


def _keeps_lax(k: Node, t: CType) -> bool:
    """Is k lax, and kept as it is (not converted) as an operand of type t?"""
    return getattr(k, "lax", False) and k.type == t


# -- the domain ----------------------------------------------------------------------


def _ub_problem(node: Node) -> str | None:
    """Undefined behaviour (other than the two kinds that are the bugs) or an unclear
    idiom in the original tree."""
    t = node.type
    if isinstance(node, Lit) and node.type.bits == 64 and not node.suffix:
        return "a literal wider than 32 bits"
    if t.signed and t.bits == 32 and not node.ones and node.mask >> 32:
        return "an int value can pass 32 bits"
    if isinstance(node, Shift):
        a, k = node.a, node.count
        lo, hi = _conv(a.crange, t)
        if not 0 <= k <= 31:
            return "shift count outside 0..31"
        if a.ones:
            return f"'{node.op}' of a value with ones above its type"
        if node.op == "<<":
            if t.signed and lo < 0:
                return "'<<' of an int that can be negative"
            if t.signed and ((a.mask << k) >> 32 or (hi << k) >> 32):
                return "an int left shift loses bits"
            if t.bits == 64 and (a.mask << k) >> 64:
                return "a 64-bit left shift loses bits"
        else:
            if t.signed and lo < 0:
                return "'>>' of an int that can be negative"
            if t.bits == 32 and a.mask >> 32:
                return "'>>' of a 32-bit value that lost bits"
    if isinstance(node, Bin):
        a, b, op = node.a, node.b, node.op
        (alo, ahi), (blo, bhi) = _conv(a.crange, t), _conv(b.crange, t)
        if op in ("-", "*") and (a.ones or b.ones):
            return f"'{op}' of a value with ones above its type"
        if op in ("-", "*") and t.bits == 32 and (a.mask >> 32 or b.mask >> 32):
            return f"'{op}' of a 32-bit value that lost bits"
        if t.signed and op in ("+", "-"):
            r = (alo + blo, ahi + bhi) if op == "+" else (alo - bhi, ahi - blo)
            no_carry = op == "+" and not a.mask & b.mask and a.dirty == b.dirty == CLEAN
            if not (t.min <= r[0] and r[1] <= t.max) and not no_carry:
                return f"int '{op}' can overflow"
        if op == "-" and b.mask > a.lo:
            return "'-' can go below zero"
        if op == "*" and t.signed and (alo < 0 or blo < 0):
            return "'*' of a possibly negative int"
    if isinstance(node, Unary):
        if node.a.type.signed:
            return "'~' of a signed value"
        if node.a.ones or (node.a.type.bits == 32 and node.a.mask >> 32):
            return "'~' of a value with bits outside its type"
    return None


def _strict_problem(node: Node) -> str | None:
    """Why this node of a fully fixed tree can give a C value other than the ideal one."""
    t = node.type
    lax = getattr(node, "lax", False)
    if t.bits <= 32 and (node.ones or node.mask >> 32) and not lax:
        return "a 32-bit value can lose bits"
    if not node.ones and node.mask >> 64:
        return "a 64-bit value can carry out of bit 63"
    if isinstance(node, Shift):
        if t.signed and node.a.mask > t.max and not getattr(node.a, "lax", False):
            return f"'{node.op}' of an int that can be negative"
        if node.a.mask > t.max and getattr(node.a, "lax", False) and node.op == ">>":
            return "'>>' of an int that can be negative"
        if node.op == "<<" and (node.a.mask << node.count) >> t.bits and not lax:
            return "a left shift loses bits"
        if node.a.ones:
            return f"'{node.op}' of a value with ones above"
    if isinstance(node, Bin):
        a, b = node.a, node.b
        overlap = node.op == "+" and a.mask & b.mask
        if overlap and t.signed and t.bits == 32 and a.mask + b.mask > INT_MAX and not lax:
            return "int '+' can overflow"
        if node.op == "*" and t.signed and a.mask * b.mask > t.max and not lax:
            return "int '*' can overflow"
    if node.dirty < t.bits:
        return "a char byte left signed"
    return None


def problems(node: Node) -> list[str]:
    """Why this expression leaves the oracle's domain ([] when it is inside)."""
    out = [p for p in (_ub_problem(n) for n in walk(node)) if p]
    if not out:
        out = [p for p in (_strict_problem(n) for n in walk(fixed(node, SITE_RULES))) if p]
    return out


def problem(node: Node) -> str | None:
    p = problems(node)
    return p[0] if p else None


def slots_of(node: Node) -> list[Slot]:
    """The inputs an expression uses, in first-use order."""
    seen: dict[str, Slot] = {}
    for n in walk(node):
        if isinstance(n, Var):
            seen.setdefault(n.slot.key, n.slot)
        elif isinstance(n, Cond):
            seen.setdefault(n.cond.key, n.cond)
    return list(seen.values())


# -- evaluation: compiled to closures, as the witness search calls them often ---


def ideal_fn(node: Node, in_and: bool = False, whole: bool = False):
    """whole: node is the value the sink takes, through casts and ?: only. A
    `signed char` there is a signed number (its declared type says so): its ideal
    value is its value. Under any other operator it is a byte."""
    if isinstance(node, Var):
        key = node.slot.key
        if whole and node.type == SCHAR:
            wrap = node.type.wrap
            return lambda env: wrap(env[key])
        return lambda env: env[key]
    if isinstance(node, Lit):
        value = node.value
        return lambda env: value
    if isinstance(node, Shift):
        fa, k = ideal_fn(node.a), node.count
        if node.op == "<<":
            return lambda env: fa(env) << k
        return lambda env: fa(env) >> k
    if isinstance(node, Bin):
        fa, fb = ideal_fn(node.a, node.op == "&"), ideal_fn(node.b, node.op == "&")
        op = node.op
        if op == "&":
            return lambda env: fa(env) & fb(env)
        if op == "|":
            return lambda env: fa(env) | fb(env)
        if op == "^":
            return lambda env: fa(env) ^ fb(env)
        if op == "-":
            return lambda env: fa(env) - fb(env)
        if op == "*":
            return lambda env: fa(env) * fb(env)
        return lambda env: fa(env) + fb(env)
    if isinstance(node, Cast):
        fa, m = ideal_fn(node.a, whole=whole), node.type.umask
        return lambda env: fa(env) & m
    if isinstance(node, Cond):
        fa, fb, key = ideal_fn(node.a, whole=whole), ideal_fn(node.b, whole=whole), node.cond.key
        return lambda env: fa(env) if env[key] else fb(env)
    if isinstance(node, Unary):
        fa = ideal_fn(node.a)
        if node.narrow and not in_and:
            return lambda env: ~fa(env) & MASK32
        return lambda env: ~fa(env)
    raise TypeError(node)


def c_fn(node: Node, zext: bool = False, ub: set | None = None):
    """The C value (in node.type's range). Undefined behaviour met on the way is
    added to `ub` as (kind, node): 'shift' (an int shift that overflows, i.e. sets
    bit 31: what -fsanitize=shift reports), 'mul' (an int product that overflows:
    what gcc -O2 may exploit), and kinds the domain excludes: 'negative-shift',
    'add', 'sub'."""
    ub = ub if ub is not None else set()
    t = node.type
    if getattr(node, "lax", False):
        return _lax_fn(node, zext, ub)
    if isinstance(node, Var):
        key = node.slot.key
        if t.signed:
            return lambda env: t.wrap(env[key])
        return lambda env: env[key]
    if isinstance(node, Lit):
        value = node.value
        return lambda env: value
    if isinstance(node, Shift):
        fa, k, src = c_fn(node.a, zext, ub), node.count, node.a.type
        if node.op == ">>":
            return lambda env: t.wrap(convert(fa(env), src, t, zext) >> k)

        def shl(env):
            v = convert(fa(env), src, t, zext)
            if t.signed and v < 0:
                ub.add(("negative-shift", node))
            r = v << k
            if t.signed and r > t.max:
                ub.add(("shift", node))
            return t.wrap(r)

        return shl
    if isinstance(node, Bin):
        fa, fb, sa, sb, op = c_fn(node.a, zext, ub), c_fn(node.b, zext, ub), node.a.type, node.b.type, node.op
        kind = {"+": "add", "-": "sub", "*": "mul"}.get(op)

        def binary(env):
            a, b = convert(fa(env), sa, t, zext), convert(fb(env), sb, t, zext)
            if op == "&":
                return a & b
            if op == "|":
                return a | b
            if op == "^":
                return a ^ b
            r = a + b if op == "+" else a - b if op == "-" else a * b
            if t.signed and not t.min <= r <= t.max:
                ub.add((kind, node))
            return t.wrap(r)

        return binary
    if isinstance(node, Cast):
        fa, src = c_fn(node.a, zext, ub), node.a.type
        return lambda env: convert(fa(env), src, t, zext)
    if isinstance(node, Cond):
        fa, fb, sa, sb, key = c_fn(node.a, zext, ub), c_fn(node.b, zext, ub), node.a.type, node.b.type, node.cond.key
        return lambda env: convert(fa(env), sa, t, zext) if env[key] else convert(fb(env), sb, t, zext)
    if isinstance(node, Unary):
        fa, src = c_fn(node.a, zext, ub), node.a.type
        return lambda env: t.wrap(~convert(fa(env), src, t, zext))
    raise TypeError(node)


def _lax_fn(node: Node, zext: bool, ub: set):
    """A lax node (see fixed()): its lax operands of its own type as they are, the
    others converted to its type; the result not reduced."""
    t = node.type

    def operand(k: Node):
        f = c_fn(k, zext, ub)
        if _keeps_lax(k, t) or (_is_mask(k) and isinstance(node, Bin) and node.op == "&"):
            return f  # (a mask `~b` keeps its ones above 32 bits, as it would in 64-bit C)
        return lambda env: convert(f(env), k.type, t, zext)

    if isinstance(node, Shift):
        fa, k = operand(node.a), node.count
        return lambda env: fa(env) << k
    if isinstance(node, Unary):
        fa = operand(node.a)
        if node.narrow:
            return lambda env: ~fa(env) & MASK32
        return lambda env: ~fa(env)
    if isinstance(node, Cond):
        fa, fb, key = operand(node.a), operand(node.b), node.cond.key
        return lambda env: fa(env) if env[key] else fb(env)
    if isinstance(node, Bin):
        fa, fb, op = operand(node.a), operand(node.b), node.op
        if op == "&":
            return lambda env: fa(env) & fb(env)
        if op == "|":
            return lambda env: fa(env) | fb(env)
        if op == "^":
            return lambda env: fa(env) ^ fb(env)
        if op == "+":
            return lambda env: fa(env) + fb(env)
        if op == "-":
            return lambda env: fa(env) - fb(env)
        if op == "*":
            return lambda env: fa(env) * fb(env)
    raise TypeError(node)


# -- sinks and functions --------------------------------------------------------

SINK_KINDS = ("init", "assign", "return", "arg", "compound", "compare")


@dataclass(frozen=True)
class Sink:
    """Where the expression's value goes.

    init `T r = e;`, assign `T r; r = e;`, return `return e;` (function of type T),
    arg `return take_T(e);`, compound `T r = init; r op= e;`, compare `return e == (T)K;`
    (the function returns int).
    """

    kind: str
    type: CType
    op: str = ""  # compound: '|=', '^=', '+=', '&='
    init: int = 0  # compound: the initial value of r
    k: int = 0  # compare: the constant
    swap: bool = False  # compare: `(T)K == e`

    @property
    def result_type(self) -> CType:
        return INT if self.kind == "compare" else self.type

    def c(self, etype: CType, v: int, zext: bool = False) -> int:
        """The function's result in C, as its result type."""
        if self.kind == "compare":
            ct = common(etype, self.type)
            return int(convert(v, etype, ct, zext) == convert(self.type.wrap(self.k), self.type, ct))
        if self.kind == "compound":
            ct = common(self.type, etype)
            r0, e = convert(self.type.wrap(self.init), self.type, ct), convert(v, etype, ct, zext)
            return convert(_apply(self.op[:-1], r0, e), ct, self.type)
        return convert(v, etype, self.type, zext)

    def ideal(self, etype: CType, v: int) -> int:
        """The intended result: the ideal value reduced to the sink's width."""
        if self.kind == "compare":
            m = common(etype, self.type).umask
            return int(v & m == self.k & m)
        if self.kind == "compound":
            return self.type.wrap(_apply(self.op[:-1], self.init, v))
        return self.type.wrap(v)


def _apply(op: str, a: int, b: int) -> int:
    return a | b if op == "|" else a ^ b if op == "^" else a & b if op == "&" else a + b


@dataclass
class Function:
    name: str
    expr: Node
    sink: Sink
    by_pointer: bool = True  # struct fields read through `const struct sN *p` (else a struct parameter `s`)
    vectors: list[dict[str, int]] = field(default_factory=list)

    @property
    def slots(self) -> list[Slot]:
        return slots_of(self.expr)

    @property
    def struct_name(self) -> str:
        return "s_" + self.name

    @property
    def in_and(self) -> bool:
        """The sink ANDs the expression in (`r &= e`)."""
        return self.sink.kind == "compound" and self.sink.op == "&="

    @property
    def rules(self) -> set[str]:
        """The rules whose kind of difference this function can show (from its sites)."""
        return site_rules(self.expr, self.in_and, self.whole)

    @property
    def whole(self) -> bool:
        """Does the sink take the expression's value as a whole (not `r op= e`)?"""
        return self.sink.kind != "compound"

    def with_expr(self, expr: Node, sink: Sink | None = None) -> Function:
        return replace(self, expr=expr, sink=sink or self.sink, vectors=[])

    def evaluators(self):
        """(ideal, c, zext, ub): each maps an input vector to the printed 64-bit result."""
        ub: set = set()
        fi = ideal_fn(self.expr, self.in_and, self.whole)
        fc, fz = c_fn(self.expr, False, ub), c_fn(self.expr, True, set())
        et, sink = self.expr.type, self.sink

        def ideal(env):
            return sink.ideal(et, fi(env)) & MASK64

        def c(env):
            return sink.c(et, fc(env)) & MASK64

        def z(env):
            return sink.c(et, fz(env), zext=True) & MASK64

        return ideal, c, z, ub

    def fixed_evaluator(self, rules):
        """The printed result with the fixes of `rules` applied."""
        expr = fixed(self.expr, frozenset(rules), self.in_and, self.whole)
        f, et, sink = c_fn(expr), expr.type, self.sink
        return lambda env: sink.c(et, f(env)) & MASK64

    def attribution(self):
        """A function (env, ideal, c) -> (strong, weak): the rules whose kind of
        difference the input shows. None where C's value is right. Else weak: the
        rules whose fixes are necessary (leaving out only theirs keeps a wrong
        value), or, where none is (several fixes each suffice: both operands of
        `(b << 24) | (h * h)` are negative), those whose fixes alone change C's
        value; strong: those of them whose fixes alone change C's value. A weak-only
        difference is masked by another rule's: `(uint32_t)((uint64_t)(b << 24) >> 1)
        << 31` loses the sign-extended bit 31 unless the u32 shift is fixed too.

        For a compare sink, whose constant is the ideal value at one input, the
        value compared (the expression converted to the common type) is judged
        instead: a difference there is a wrong comparison for some constant."""
        fn, ideal, c = self, None, None
        if self.sink.kind == "compare":
            fn = replace(self, sink=Sink("return", common(self.expr.type, self.sink.type)))
            ideal, c, _, _ = fn.evaluators()
        rules = sorted(self.rules)
        without = {r: fn.fixed_evaluator(set(rules) - {r}) for r in rules}
        only = {r: fn.fixed_evaluator({r}) for r in rules}

        def shown(env, i, v) -> tuple[set[str], set[str]]:
            if ideal is not None:
                i, v = ideal(env), c(env)
            if v == i:
                return set(), set()
            changes = {r for r in rules if only[r](env) != v}
            need = {r for r in rules if without[r](env) != i}
            return (need & changes, need) if need else (changes, changes)

        return shown
