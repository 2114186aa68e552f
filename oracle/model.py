"""C types, expression trees, and the two evaluations the oracle compares.

- ideal(): what the author meant. Every value is an unbounded non-negative
  integer; only explicit casts to a narrower unsigned type (and the sink) reduce
  it modulo 2^width. No promotion to int, so no sign ever appears.
- c_eval(): what C does on x86_64 (LP64, gcc): integer promotions, the usual
  arithmetic conversions, shifts of int into bit 31 giving the two's-complement
  bits (gcc's documented behaviour), sign extension of negative ints when they are
  widened. With zext=True every widening of a signed value zero-extends instead:
  a function whose zext result equals the ideal one is wrong *only* because of
  sign extension.

The generator keeps expressions inside a domain where the two differ only through
sign extension (checked by problem()): no value of a 32-bit type can lose bits,
no left shift of a possibly negative int, no >> of a possibly negative int, no int
'+' that can overflow, shift counts 0..31.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

MASK64 = (1 << 64) - 1
INT_MAX = (1 << 31) - 1


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


# -- operands ------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One input of a generated function.

    key: the name in input vectors and in the C function ('b0', 'buf[3]', 'f2', 'c').
    kind: 'param' (a parameter), 'buf' (an element of `const uint8_t *buf`),
    'field' (a member of the function's struct), 'cond' (the int tested by ?:).
    """

    key: str
    kind: str
    declared: CType  # the declared type (a bit-field's declared type, e.g. unsigned long)
    width: int  # value bits: 8, 16, 32 or the bit-field width
    bitfield: bool = False

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
        return int(self.key[4:-1])


# -- expression trees ---------------------------------------------------------
# Every node knows its C type and `mask`: the bits its ideal value can have.


class Node:
    __slots__ = ("type", "mask")
    kids: tuple = ()

    def with_kids(self, kids: tuple) -> Node:
        raise NotImplementedError


class Var(Node):
    __slots__ = ("slot",)

    def __init__(self, slot: Slot):
        self.slot = slot
        self.type = slot.type
        self.mask = slot.umask

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
        self.mask = value

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
        self.type = promote(a.type)
        self.mask = a.mask << count if op == "<<" else a.mask >> count

    @property
    def kids(self):
        return (self.a,)

    def with_kids(self, kids):
        return Shift(self.op, kids[0], self.count, self.split)


class Bin(Node):
    __slots__ = ("op", "a", "b")

    def __init__(self, op: str, a: Node, b: Node):
        self.op, self.a, self.b = op, a, b
        self.type = common(a.type, b.type)
        if op == "&":
            self.mask = a.mask & b.mask
        elif op in ("|", "^") or (op == "+" and not a.mask & b.mask):
            self.mask = a.mask | b.mask
        else:  # '+' with carries
            self.mask = (1 << (a.mask + b.mask).bit_length()) - 1

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

    @property
    def kids(self):
        return (self.a,)

    def with_kids(self, kids):
        return Cast(self.type, kids[0])


class Cond(Node):
    __slots__ = ("cond", "a", "b")

    def __init__(self, cond: Slot, a: Node, b: Node):
        self.cond, self.a, self.b = cond, a, b
        self.type = common(a.type, b.type)
        self.mask = a.mask | b.mask

    @property
    def kids(self):
        return (self.a, self.b)

    def with_kids(self, kids):
        return Cond(self.cond, kids[0], kids[1])


def walk(node: Node):
    yield node
    for k in node.kids:
        yield from walk(k)


def problem(node: Node) -> str | None:
    """Why this node (its children assumed fine) leaves the oracle's domain, or None."""
    t = node.type
    if t.bits <= 32 and node.mask >> 32:
        return "a 32-bit value can lose bits"
    if node.mask >> 64:
        return "a 64-bit value can carry out of bit 63"
    if isinstance(node, Shift):
        if not 0 <= node.count <= 31:
            return "shift count outside 0..31"
        if t.signed and node.a.mask > t.max:
            return f"'{node.op}' of an int that can be negative"
        if node.op == "<<" and (node.a.mask << node.count) >> t.bits:
            return "a left shift loses bits"
    overlap = isinstance(node, Bin) and node.op == "+" and node.a.mask & node.b.mask
    if overlap and t.signed and t.bits == 32 and node.a.mask + node.b.mask > INT_MAX:
        return "int '+' can overflow"  # (with disjoint bits there is no carry: a '|')
    if isinstance(node, Lit) and node.type.bits == 64 and not node.suffix:
        return "a literal wider than 32 bits"
    return None


def problems(node: Node) -> list[str]:
    return [p for p in (problem(n) for n in walk(node)) if p]


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


def ideal_fn(node: Node):
    if isinstance(node, Var):
        key = node.slot.key
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
        fa, fb = ideal_fn(node.a), ideal_fn(node.b)
        op = node.op
        if op == "&":
            return lambda env: fa(env) & fb(env)
        if op == "|":
            return lambda env: fa(env) | fb(env)
        if op == "^":
            return lambda env: fa(env) ^ fb(env)
        return lambda env: fa(env) + fb(env)
    if isinstance(node, Cast):
        fa, m = ideal_fn(node.a), node.type.umask
        return lambda env: fa(env) & m
    if isinstance(node, Cond):
        fa, fb, key = ideal_fn(node.a), ideal_fn(node.b), node.cond.key
        return lambda env: fa(env) if env[key] else fb(env)
    raise TypeError(node)


def c_fn(node: Node, zext: bool = False, ub: set | None = None):
    """The C value (in node.type's range). Undefined behaviour met on the way is
    added to `ub` as (kind, node): 'shift' (an int shift that overflows, i.e. sets
    bit 31: what -fsanitize=shift reports), and kinds the domain excludes:
    'negative-shift', 'add'."""
    ub = ub if ub is not None else set()
    t = node.type
    if isinstance(node, Var):
        key = node.slot.key
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

        def binary(env):
            a, b = convert(fa(env), sa, t, zext), convert(fb(env), sb, t, zext)
            if op == "&":
                return a & b
            if op == "|":
                return a | b
            if op == "^":
                return a ^ b
            r = a + b
            if t.signed and not -(t.max + 1) <= r <= t.max:
                ub.add(("add", node))
            return t.wrap(r)

        return binary
    if isinstance(node, Cast):
        fa, src = c_fn(node.a, zext, ub), node.a.type
        return lambda env: convert(fa(env), src, t, zext)
    if isinstance(node, Cond):
        fa, fb, sa, sb, key = c_fn(node.a, zext, ub), c_fn(node.b, zext, ub), node.a.type, node.b.type, node.cond.key
        return lambda env: convert(fa(env), sa, t, zext) if env[key] else convert(fb(env), sb, t, zext)
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
    op: str = ""  # compound: '|=', '^=', '+='
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
    return a | b if op == "|" else a ^ b if op == "^" else a + b


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

    def with_expr(self, expr: Node, sink: Sink | None = None) -> Function:
        return replace(self, expr=expr, sink=sink or self.sink, vectors=[])

    def evaluators(self):
        """(ideal, c, zext, ub): each maps an input vector to the printed 64-bit result."""
        ub: set = set()
        fi, fc, fz = ideal_fn(self.expr), c_fn(self.expr, False, ub), c_fn(self.expr, True, set())
        et, sink = self.expr.type, self.sink

        def ideal(env):
            return sink.ideal(et, fi(env)) & MASK64

        def c(env):
            return sink.c(et, fc(env)) & MASK64

        def z(env):
            return sink.c(et, fz(env), zext=True) & MASK64

        return ideal, c, z, ub
