"""Random functions in the oracle's domain, their C rendering (pycparser c_ast / c_generator),
their input vectors, and the program harness (includes, main) around them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from pycparser import c_ast, c_generator

from .model import (
    CHAR,
    I64,
    INT,
    INT_MAX,
    MASK64,
    SCHAR,
    U8,
    U16,
    U32,
    U64,
    UINT,
    ULONG,
    Bin,
    Cast,
    Cond,
    CType,
    Function,
    Lit,
    Node,
    Shift,
    Sink,
    Slot,
    Unary,
    Var,
    common,
    ideal_fn,
    problems,
    slots_of,
    walk,
)

LITERALS = (0, 1, 2, 3, 7, 0xF, 0x1F, 0x7F, 0x80, 0xFF, 0x100, 0xFFF, 0x7FFF, 0x8000, 0xFFFF, 0xFF00, 0xFFFFFF,
            0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
WIDE_MASKS = (0xFFFFFFFF, 0x1FFFFFFFF, 0xFFFFFFFF00000000, 0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFF80000000)
BOUNDARY = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
SINK_TYPES = ((U64, 4), (I64, 2), (U32, 2), (ULONG, 2), (INT, 1))
# 64-bit only: the constant must be able to hold any ideal value (a `(uint32_t)K` makes
# the comparison blind to the upper half, so a sign extension could never show).
COMPARE_TYPES = ((U64, 4), (I64, 1), (ULONG, 1))
SINK_KINDS = (("init", 2), ("assign", 1), ("return", 3), ("arg", 2), ("compound", 2), ("compare", 2))
MUL_LITERALS = (2, 3, 10, 0x100, 0x101, 0x1000, 0x10000, 0x1000000)
TAKE = {U64: "take_u64", I64: "take_i64", U32: "take_u32", ULONG: "take_ulong", INT: "take_int"}
BITFIELD_TYPES = (("unsigned", 14), ("unsigned int", 1), ("uint32_t", 2), ("unsigned long", 2), ("small", 2))
DECLARED_BITS = {"unsigned": 32, "unsigned int": 32, "uint32_t": 32, "unsigned long": 64, "uint8_t": 8, "uint16_t": 16}
# The casts that make a possibly negative value (a char, `~b`) shiftable: `(uint8_t)c` is the
# right one for a char byte, the wider ones keep its sign-extended bits (SL003).
UNSIGN_CASTS = ((U8, 3), (U32, 2), (UINT, 1), (U64, 2))


def _pick(rng: random.Random, weighted):
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


# -- generation ----------------------------------------------------------------


class Builder:
    """Builds one function's expression, inventing its inputs on the way."""

    def __init__(self, rng: random.Random, name: str):
        self.rng = rng
        self.name = name
        self.slots: dict[str, Slot] = {}

    def _new(self, kind: str, declared: CType, width: int, bitfield: bool = False, prefix: str = "") -> Slot:
        if kind in ("buf", "cbuf"):
            used = {s.index for s in self.slots.values() if s.kind == kind}
            free = [i for i in range(8) if i not in used] or list(range(8))
            key = f"{'buf' if kind == 'buf' else 'cb'}[{self.rng.choice(free)}]"
        else:
            n = sum(1 for s in self.slots.values() if s.key.startswith(prefix) and s.kind == kind)
            key = f"{prefix}{n}"
        slot = self.slots.get(key) or Slot(key, kind, declared, width, bitfield)
        self.slots[key] = slot
        return slot

    def _reuse(self, test) -> Slot | None:
        old = [s for s in self.slots.values() if test(s)]
        if old and self.rng.random() < 0.3:
            return self.rng.choice(old)
        return None

    def leaf(self) -> Node:
        rng = self.rng
        what = _pick(rng, (("u8", 25), ("u16", 13), ("u32", 8), ("buf", 15), ("field", 26), ("lit", 8),
                           ("char", 5), ("schar", 2), ("cbuf", 5), ("u64", 2)))
        if what == "lit":
            return Lit(rng.choice(LITERALS), "ULL" if rng.random() < 0.08 else "")
        if what in ("u8", "u16", "u32", "u64", "char", "schar"):
            t, prefix = {"u8": (U8, "b"), "u16": (U16, "h"), "u32": (U32, "w"), "u64": (U64, "q"),
                         "char": (CHAR, "ch"), "schar": (SCHAR, "sc")}[what]
            slot = self._reuse(lambda s: s.kind == "param" and s.declared == t)
            return Var(slot or self._new("param", t, t.bits, prefix=prefix))
        if what in ("buf", "cbuf"):
            slot = self._reuse(lambda s: s.kind == what)
            return Var(slot or self._new(what, U8 if what == "buf" else CHAR, 8))
        slot = self._reuse(lambda s: s.kind == "field")
        if slot:
            return Var(slot)
        if rng.random() < 0.8:
            width = rng.randint(1, 31) if rng.random() < 0.6 else rng.choice((1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31))
            spelled = _pick(rng, BITFIELD_TYPES)
            if spelled == "small":
                spelled = "uint8_t" if width <= 8 else "uint16_t" if width <= 16 else "unsigned"
            declared = CType(spelled, DECLARED_BITS[spelled], False)
            return Var(self._new("field", declared, width, bitfield=True, prefix="f"))
        t = rng.choice((U8, U16, U32))
        return Var(self._new("field", t, t.bits, prefix="f"))

    def expr(self, depth: int) -> Node:
        if depth <= 0:
            return self.leaf()
        for _ in range(40):
            node = self._try(depth)
            if node is not None and not problems(node) and not degenerate(node):
                return node
        return self.leaf()

    def _sub(self, depth: int) -> Node:
        return self.expr(depth - 1 if self.rng.random() < 0.7 else self.rng.randint(0, depth - 1))

    def _try(self, depth: int) -> Node | None:
        rng = self.rng
        kind = _pick(rng, (("<<", 34), (">>", 6), ("&", 9), ("|", 15), ("^", 6), ("+", 6), ("cast", 12), ("?:", 5),
                           ("bytes", 7), ("wide", 6), ("*", 7), ("~", 6), ("-", 3)))
        if kind == "bytes":
            return self._assemble(depth)
        if kind == "wide":
            return self._wide(depth)
        if kind == "*":
            return self._product(depth)
        if kind == "~":
            return self._complement(depth)
        if kind == "-":
            return self._minus(depth)
        if kind == "<<":
            a = self._sub(depth)
            if rng.random() < 0.2:
                a = Cast(_pick(rng, ((U64, 5), (ULONG, 1), (U32, 2))), a)  # an early cast
            return self._shift_left(a)
        if kind == ">>":
            a = self._unsigned(self._sub(depth))
            if a is None:
                return None
            return Shift(">>", a, rng.randint(0, min(31, max(1, a.mask.bit_length()))))
        if kind == "cast":
            to = _pick(rng, ((U64, 6), (U32, 3), (U8, 2), (U16, 1), (ULONG, 1)))
            a = self._sub(depth)
            if to.bits == 64 and rng.random() < 0.5 and not isinstance(a, Shift):
                a = self._shift_left(a)  # a late cast
                if a is None:
                    return None
            return Cast(to, a)
        if kind == "?:":
            n = sum(1 for s in self.slots.values() if s.kind == "cond")
            cond = self.slots.setdefault(f"c{n}", Slot(f"c{n}", "cond", INT, 1))  # a new one: no nested `c ? (c ? ..`
            return Cond(cond, self._sub(depth), self._sub(depth))
        a = self._sub(depth)
        if kind == "&" and rng.random() < 0.5 or kind in ("|", "^") and rng.random() < 0.1:
            if rng.random() < 0.25:
                b = Lit(rng.choice(WIDE_MASKS), "ULL")
            else:
                b = Lit(rng.choice(LITERALS), "ULL" if rng.random() < 0.1 else "")
        else:
            b = self._sub(depth)
        if rng.random() < 0.5:
            a, b = b, a
        return Bin(kind, a, b)

    def _assemble(self, depth: int) -> Node | None:
        """Bytes or halves put together: `a << 24 | b << 16 | c << 8 | d` (or with '+')."""
        rng = self.rng
        op = "|" if rng.random() < 0.7 else "+"
        step = rng.choice((8, 8, 16))
        terms = [self.expr(depth - 2) if depth >= 2 and rng.random() < 0.3 else self.leaf()
                 for _ in range(rng.randint(2, 32 // step))]
        node = None
        for i, term in enumerate(terms):
            count = step * (len(terms) - 1 - i)
            if term.type.bits >= 32 and term.mask << count >> 32:
                term = Cast(U64, term) if rng.random() < 0.5 else Bin("&", term, Lit((1 << step) - 1))
            part = self._shift_left(term, count) if count else term
            if part is None or problems(part):
                return None
            node = part if node is None else Bin(op, node, part)
        return node

    def _wide(self, depth: int) -> Node | None:
        """A value widened to 64 bits (often a late cast of a shift), then used:
        shifted, masked, added, or cut back to 32 bits."""
        rng = self.rng
        a = self._sub(depth)
        if a.type.bits < 64:
            if not isinstance(a, Shift) and rng.random() < 0.7:
                a = self._shift_left(a) or a
            a = Cast(U64 if rng.random() < 0.8 else ULONG, a)
        post = rng.choice((">>", ">>", "&", "<<", "+", "|", "^", "u32"))
        if post == ">>":
            return Shift(">>", a, rng.randint(1, 31))
        if post == "<<":
            return self._shift_left(a)
        if post == "&":
            return Bin("&", a, Lit(rng.choice(WIDE_MASKS + LITERALS), "ULL" if rng.random() < 0.5 else ""))
        if post == "u32":
            return Cast(U32, Shift(">>", a, rng.randint(0, 31)) if rng.random() < 0.5 else a)
        return Bin(post, a, self._sub(depth))

    def _unsigned(self, a: Node) -> Node | None:
        """a, or a cast of it when it can be negative (a char, `~b`): a shift of a
        negative int is undefined, `>>` of one an idiom of unclear intent."""
        if a.crange[0] >= 0:
            return a
        if self.rng.random() < 0.6:
            return Cast(_pick(self.rng, UNSIGN_CASTS), a)
        return None

    def _shift_left(self, a: Node, count: int | None = None) -> Node | None:
        a = self._unsigned(a)
        if a is None or a.ones:
            return None
        t = a.type if a.type.bits >= 32 else INT
        if t.signed and t.bits == 32 and a.mask > INT_MAX:
            return None
        rng = self.rng
        if count is not None:
            return Shift("<<", a, count)
        room = (t.bits - 1 if t.bits == 64 else 32) - a.mask.bit_length()
        kmax = min(31, room)
        if t.bits == 32 and not t.signed and rng.random() < 0.3:
            kmax = 31  # a 32-bit unsigned shift that can lose bits (SL004)
        if kmax < 0:
            return None
        k = kmax if rng.random() < 0.5 else rng.randint(0, kmax)
        return Shift("<<", a, k, rng.randint(1, k) if k and rng.random() < 0.05 else 0)

    def _product(self, depth: int) -> Node | None:
        """`h * h`, `b * 0x1000000`, `(uint64_t)h * w` (SL002 when the int product can pass INT_MAX)."""
        rng = self.rng
        if rng.random() < 0.5:  # operands whose int product can pass INT_MAX
            form = rng.choice(("hh", "hh", "hk", "bk"))
            h = Var(self._reuse(lambda s: s.declared == U16) or self._new("param", U16, 16, prefix="h"))
            if form == "hh":
                b = Var(self._reuse(lambda s: s.declared == U16) or self._new("param", U16, 16, prefix="h"))
            elif form == "hk":
                b = Lit(rng.choice((0x8001, 0xFFFF, 0x10000, 0x20000)))
            else:
                h = self.leaf()
                if h.type.bits > 8 or h.crange[0] < 0 or isinstance(h, Lit):
                    return None
                b = Lit(rng.choice((0x800000, 0x1000000, 0x1010101)))
            return Bin("*", h, b) if rng.random() < 0.7 else Bin("*", b, h)
        ops = []
        for i in range(2):
            if i == 1 and rng.random() < 0.3:
                ops.append(Lit(rng.choice(MUL_LITERALS)))
                continue
            x = self.leaf() if rng.random() < 0.6 else self._sub(depth)
            x = self._unsigned(x)
            if x is None:
                return None
            ops.append(x)
        a, b = ops
        if rng.random() < 0.15:
            a = Cast(_pick(rng, ((U64, 3), (ULONG, 1), (UINT, 1))), a)  # an early cast
        if rng.random() < 0.5:
            a, b = b, a
        return Bin("*", a, b)

    def _complement(self, depth: int) -> Node | None:
        """`~m` alone, or a mask `x & ~m`, often with a 64-bit x (SL006)."""
        rng = self.rng
        a = self.leaf() if rng.random() < 0.7 else self._sub(depth)
        if a.type.signed:
            a = Cast(_pick(rng, ((U8, 2), (U16, 1), (U32, 2))), a) if rng.random() < 0.5 else None
            if a is None:
                return None
        u = Unary("~", a)
        r = rng.random()
        if r < 0.4:
            x = self._sub(depth)
            if x.type.bits < 64 and rng.random() < 0.7:
                x = Cast(U64, x)
            return Bin("&", x, u) if rng.random() < 0.7 else Bin("&", u, x)
        if r < 0.55:
            return Bin("&", self._sub(depth), u)
        return u

    def _minus(self, depth: int) -> Node | None:
        """`K - x` with K >= x, `(x | K) - k` with k <= K: never below zero."""
        rng = self.rng
        a = self._sub(depth)
        if rng.random() < 0.5:
            fits = [v for v in LITERALS if v >= a.mask]
            if not fits:
                return None
            return Bin("-", Lit(a.mask if a.mask in LITERALS or rng.random() < 0.5 else min(fits)), a)
        k = rng.choice((0x80, 0x100, 0x8000, 0x10000, 0x1000000))
        return Bin("-", Bin("|", a, Lit(k)), Lit(rng.choice((1, k >> 1, k))))


def degenerate(node: Node) -> bool:
    """Code nobody writes: a computed value that is always zero (`(b & 0x100) << 24`,
    `(uint16_t)0x80000000`, `(b << 24) ^ (b << 24)`). signlint reasons with ranges, not bits, and flags the shift
    of such a zero; GENERATE_DEGENERATE = True lets the generator produce them."""
    if GENERATE_DEGENERATE:
        return False
    rng = random.Random(0)
    slots = slots_of(node)
    envs = [{s.key: s.umask for s in slots}] + [{s.key: rng.getrandbits(s.width) for s in slots} for _ in range(8)]
    for n in walk(node):
        if n.mask == 0 and not isinstance(n, Lit):
            return True
        if not isinstance(n, (Lit, Var)):
            f = ideal_fn(n)
            if not any(f(env) for env in envs):
                return True  # e.g. `(x | x) ^ x`
    return False


GENERATE_DEGENERATE = False


def gen_function(rng: random.Random, name: str) -> Function:
    for _ in range(10):
        b = Builder(rng, name)
        expr = b.expr(rng.randint(1, 3))
        if b.slots or rng.random() < 0.2:  # mostly no constant expressions
            break
    return Function(name, expr, pick_sink(rng), by_pointer=rng.random() < 0.6)


def pick_sink(rng: random.Random, kinds=SINK_KINDS) -> Sink:
    kind = _pick(rng, kinds)
    if kind == "compare":
        sink = Sink(kind, _pick(rng, COMPARE_TYPES), swap=rng.random() < 0.3)
    elif kind == "compound":
        t = _pick(rng, SINK_TYPES)
        op = rng.choice(("|=", "|=", "^=", "+=", "&="))
        if op == "&=":
            inits = [-1 if t.signed else t.umask]  # (an r known to hide bits would need flow analysis)
        else:
            inits = [0] if op == "+=" and t == INT else [0, 0, 1, 0x100] + ([1 << 32] if t.bits == 64 else [])
        sink = Sink(kind, t, op, rng.choice(inits))
    else:
        sink = Sink(kind, _pick(rng, SINK_TYPES))
    return sink


# -- input vectors ---------------------------------------------------------------


def slot_values(slot: Slot, extra: list[int]) -> list[int]:
    if slot.kind == "cond":
        return [0, 1]
    m = slot.umask
    vals = {v & m for v in BOUNDARY} | {m, 1 << (slot.width - 1)} | {v & m for v in extra}
    if slot.width > 32:
        vals |= {v & m for v in (1 << 32, 0xFFFFFFFF00000000, 0x8000000080000000)}
    if slot.narrowed:  # a guard lets lo..hi through: those, and the values just outside it
        lo, top = slot.lo, slot.top
        vals = {v for v in vals if lo <= slot.declared.wrap(v) <= top}
        vals |= {v & m for v in (lo, lo + 1, top - 1, top, lo - 1, top + 1, *slot.hints)}
    return sorted(vals)


def make_vectors(fn: Function, rng: random.Random, search: int = 300, mixes: int = 24) -> Function:
    """Boundary inputs for every slot: all slots at the same boundary value (with the
    ?: condition 0 and 1), random mixtures, and up to two inputs where the model of
    C differs from the ideal value (a witness search over `search` mixtures). For a
    compare sink the constant is chosen here: the ideal value at a witness, so the
    comparison is intended to hold there."""
    slots = fn.slots
    widths = sorted({s.width for s in slots if s.bitfield})
    extra = [(1 << w) - 1 for w in widths] + [rng.getrandbits(32) for _ in range(3)]
    values = {s.key: slot_values(s, extra) for s in slots}
    vectors: list[dict[str, int]] = []

    def add(env):
        if env not in vectors:
            vectors.append(env)

    def mixture():
        return {s.key: rng.choice(values[s.key]) if rng.random() < 0.8 else rng.getrandbits(s.width) for s in slots}

    for v in list(BOUNDARY) + extra:
        for c in (0, 1):
            add({s.key: (c if s.kind == "cond" else v & s.umask) for s in slots})
    for _ in range(mixes):
        add(mixture())

    sink = fn.sink
    if sink.kind == "compare":
        # Find where the widened expression differs from the ideal one, then compare with the ideal value there.
        probe = fn.with_expr(fn.expr, Sink("return", common(fn.expr.type, sink.type)))
        ideal, c, _, _ = probe.evaluators()
        m = common(fn.expr.type, sink.type).umask
        witness = next((env for env in vectors if ideal(env) != c(env)), None)
        if witness is None:
            for _ in range(search):
                env = mixture()
                if ideal(env) != c(env):
                    witness = env
                    break
        at = witness or max(vectors, key=ideal)
        if witness:
            add(witness)
        fn = replace(fn, sink=replace(sink, k=ideal(at) & m & sink.type.umask))

    # Up to two inputs for each goal: a wrong value, each rule's kind of difference,
    # an int shift into bit 31 (-fsanitize=shift, SL005), an int product that overflows (gcc -O2).
    ideal, c, _, ub = fn.evaluators()
    shown = fn.attribution()

    def reached(env) -> set[str]:
        ub.clear()
        i, v = ideal(env), c(env)
        out = {"wrong"} if i != v else set()
        out |= {f"ub-{kind}" for kind, _ in ub}
        return out | shown(env, i, v)[1]

    rules = fn.rules
    goals = set(rules) | ({"wrong"} if rules else set())
    goals |= {"ub-shift"} if "SL001" in rules else set()
    goals |= {"ub-mul"} if "SL002" in rules else set()
    found = dict.fromkeys(goals, 0)
    for env in vectors:
        for g in reached(env) & goals:
            found[g] += 1
    for _ in range(search):
        if all(n >= 2 for n in found.values()):
            break
        env = mixture()
        hit = [g for g in reached(env) & goals if found[g] < 2]
        if hit and env not in vectors:
            add(env)
            for g in reached(env) & goals:
                found[g] += 1
    ub.clear()
    fn.vectors = vectors
    return fn


# -- rendering -------------------------------------------------------------------


def _tdecl(name, spelling: str, quals=()):
    return c_ast.TypeDecl(name, list(quals), None, c_ast.IdentifierType(spelling.split()))


def _decl(name, typ, init=None, storage=(), bitsize=None):
    return c_ast.Decl(name, [], None, list(storage), [], typ, init, bitsize)


def _typename(t: CType):
    return c_ast.Typename(None, [], None, _tdecl(None, t.spelling))


def _const(text: str):
    return c_ast.Constant("int", text)


def expr_ast(node: Node, by_pointer: bool = True):
    render = getattr(node, "render_ast", None)
    if render is not None:  # a shift by a variable count, a loop's buf[i] (oracle/context.py)
        return render(lambda kid: expr_ast(kid, by_pointer))
    if isinstance(node, Var):
        s = node.slot
        if s.kind in ("buf", "cbuf"):
            return c_ast.ArrayRef(c_ast.ID("buf" if s.kind == "buf" else "cb"), _const(str(s.index)))
        if s.kind == "field":
            return c_ast.StructRef(c_ast.ID("p" if by_pointer else "s"), "->" if by_pointer else ".", c_ast.ID(s.key))
        return c_ast.ID(s.key)
    if isinstance(node, Lit):
        return _const(node.text)
    if isinstance(node, Shift):
        count = _const(str(node.count))
        if node.split:
            count = c_ast.BinaryOp("+", _const(str(node.split)), _const(str(node.count - node.split)))
        return c_ast.BinaryOp(node.op, expr_ast(node.a, by_pointer), count)
    if isinstance(node, Bin):
        return c_ast.BinaryOp(node.op, expr_ast(node.a, by_pointer), expr_ast(node.b, by_pointer))
    if isinstance(node, Cast):
        return c_ast.Cast(_typename(node.type), expr_ast(node.a, by_pointer))
    if isinstance(node, Cond):
        return c_ast.TernaryOp(c_ast.ID(node.cond.key), expr_ast(node.a, by_pointer), expr_ast(node.b, by_pointer))
    if isinstance(node, Unary):
        return c_ast.UnaryOp(node.op, expr_ast(node.a, by_pointer))
    raise TypeError(node)


def render_expr(node: Node, by_pointer: bool = True) -> str:
    return c_generator.CGenerator().visit(expr_ast(node, by_pointer))


def params(fn: Function) -> list[tuple[str, str]]:
    """(C declaration kind, key) in parameter order: scalar params, buf, cb, the struct, the condition."""
    slots = fn.slots
    out = [("param", s.key) for s in slots if s.kind == "param"]
    if any(s.kind == "buf" for s in slots):
        out.append(("buf", "buf"))
    if any(s.kind == "cbuf" for s in slots):
        out.append(("cbuf", "cb"))
    if any(s.kind == "field" for s in slots):
        out.append(("struct", "p" if fn.by_pointer else "s"))
    out += [("cond", s.key) for s in slots if s.kind == "cond"]
    return out


def struct_ast(fn: Function):
    fields = sorted((s for s in fn.slots if s.kind == "field"), key=lambda s: int(s.key[1:]))
    if not fields:
        return None
    decls = [_decl(s.key, _tdecl(s.key, s.declared.spelling), bitsize=_const(str(s.width)) if s.bitfield else None)
             for s in fields]
    return _decl(None, c_ast.Struct(fn.struct_name, decls))


def function_ast(fn: Function):
    slots = {s.key: s for s in fn.slots}
    plist = []
    for kind, key in params(fn):
        if kind == "param":
            plist.append(_decl(key, _tdecl(key, slots[key].declared.spelling)))
        elif kind in ("buf", "cbuf"):
            plist.append(_decl(key, c_ast.PtrDecl([], _tdecl(key, "uint8_t" if kind == "buf" else "char", ("const",)))))
        elif kind == "struct":
            st = c_ast.TypeDecl(key, ["const"] if fn.by_pointer else [], None, c_ast.Struct(fn.struct_name, None))
            plist.append(_decl(key, c_ast.PtrDecl([], st) if fn.by_pointer else st))
        else:
            plist.append(_decl(key, _tdecl(key, "int")))
    if not plist:
        plist = [c_ast.Typename(None, [], None, _tdecl(None, "void"))]
    e = expr_ast(fn.expr, fn.by_pointer)
    sink = fn.sink
    T = sink.type.spelling
    r = c_ast.ID("r")
    if sink.kind == "init":
        body = [_decl("r", _tdecl("r", T), e), c_ast.Return(r)]
    elif sink.kind == "assign":
        body = [_decl("r", _tdecl("r", T)), c_ast.Assignment("=", r, e), c_ast.Return(r)]
    elif sink.kind == "return":
        body = [c_ast.Return(e)]
    elif sink.kind == "arg":
        body = [c_ast.Return(c_ast.FuncCall(c_ast.ID(TAKE[sink.type]), c_ast.ExprList([e])))]
    elif sink.kind == "compound":
        body = [_decl("r", _tdecl("r", T), _const(hex(sink.init))), c_ast.Assignment(sink.op, r, e), c_ast.Return(r)]
    else:
        k = c_ast.Cast(_typename(sink.type), _const(hex(sink.k) + "ULL"))
        body = [c_ast.Return(c_ast.BinaryOp("==", k, e) if sink.swap else c_ast.BinaryOp("==", e, k))]
    rt = sink.result_type.spelling
    decl = _decl(fn.name, c_ast.FuncDecl(c_ast.ParamList(plist), _tdecl(fn.name, rt)))
    decl.funcspec = ["NOIPA"]
    return c_ast.FuncDef(decl, None, c_ast.Compound(body))


def _take_ast(t: CType):
    name = TAKE[t]
    x = _decl("x", _tdecl("x", t.spelling))
    decl = _decl(name, c_ast.FuncDecl(c_ast.ParamList([x]), _tdecl(name, t.spelling)), storage=("static",))
    return c_ast.FuncDef(decl, None, c_ast.Compound([c_ast.Return(c_ast.ID("x"))]))


# -- programs --------------------------------------------------------------------

# NOIPA: gcc must not inline a generated function into main, whose printf widens
# its result: -O2 could then exploit an int product's overflow in the harness's own
# conversion (inside a function it may, and that is part of what is tested).
HEADER = ("#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n\n"
          "#ifdef __clang__\n#define NOIPA\n#else\n#define NOIPA __attribute__((noipa))\n#endif\n\n")


@dataclass
class Program:
    seed: int
    functions: list[Function]
    source: str = ""
    ranges: list[tuple[int, int]] = field(default_factory=list)  # 1-based inclusive lines of each function

    def function_text(self, i: int) -> str:
        lines = self.source.splitlines()
        a, b = self.ranges[i]
        return "\n".join(lines[a - 1:b])

    def function_at(self, line: int) -> int | None:
        for i, (a, b) in enumerate(self.ranges):
            if a <= line <= b:
                return i
        return None


def generate(seed: int, count: int = 8) -> Program:
    rng = random.Random(seed)
    functions = []
    for i in range(count):
        fn = gen_function(rng, f"f{i}")
        functions.append(make_vectors(fn, rng))
    return assemble(seed, functions)


def assemble(seed: int, functions: list[Function]) -> Program:
    """Render the functions (each on lines of its own) and the harness around them."""
    gen = c_generator.CGenerator()
    parts = [HEADER]
    line = HEADER.count("\n") + 1
    for t in TAKE:
        text = gen.visit(c_ast.FileAST([_take_ast(t)]))
        parts.append(text)
        line += text.count("\n")
    ranges = []
    for fn in functions:
        st = struct_ast(fn)
        if st is not None:
            text = gen.visit(c_ast.FileAST([st]))
            parts.append(text)
            line += text.count("\n")
        render = getattr(fn, "render_text", None)  # guarded, switch and loop shapes (oracle/context.py)
        text = render() if render is not None else gen.visit(c_ast.FileAST([function_ast(fn)]))
        parts.append(text)
        ranges.append((line, line + text.rstrip("\n").count("\n")))
        line += text.count("\n")
    parts.append(main_text(functions))
    return Program(seed, functions, "".join(parts), ranges)


def main_text(functions: list[Function]) -> str:
    """The fixed harness: a table of inputs per function, a loop calling it, one
    16-hex-digit line per result (signed results are sign-extended to 64 bits)."""
    out = []
    body = ["int main(void)\n{\n\tunsigned i;\n"]
    for n, fn in enumerate(functions):
        keys = [s.key for s in fn.slots] or ["unused"]
        rows = ",\n".join("\t{" + ", ".join(hex(env.get(k, 0)) + "ULL" for k in keys) + "}" for env in fn.vectors)
        out.append(f"static const unsigned long long in_{n}[][{len(keys)}] = {{\n{rows}\n}};\n")
        slots = {s.key: s for s in fn.slots}
        setup, args = [], []
        for kind, key in params(fn):
            if kind == "param":
                args.append(f"({slots[key].declared.spelling})x[{keys.index(key)}]")
            elif kind in ("buf", "cbuf"):
                t = "uint8_t" if kind == "buf" else "char"
                setup.append(f"\t\t{t} {key}[8];\n\t\tmemset({key}, 0, sizeof {key});\n")
                setup += [f"\t\t{key}[{s.index}] = ({t})x[{keys.index(s.key)}];\n" for s in fn.slots if s.kind == kind]
                args.append(key)
            elif kind == "struct":
                setup.append(f"\t\tstruct {fn.struct_name} s;\n\t\tmemset(&s, 0, sizeof s);\n")
                setup += [f"\t\ts.{s.key} = x[{keys.index(s.key)}];\n" for s in fn.slots if s.kind == "field"]
                args.append("&s" if fn.by_pointer else "s")
            else:
                args.append(f"(int)x[{keys.index(key)}]")
        cast = "(unsigned long long)(long long)" if fn.sink.result_type.signed else "(unsigned long long)"
        body.append(
            f"\tfor (i = 0; i < sizeof in_{n} / sizeof in_{n}[0]; i++) {{\n"
            f"\t\tconst unsigned long long *x = in_{n}[i];\n"
            + "".join(setup)
            + ("\t\t(void)x;\n" if not fn.slots else "")
            + f"\t\tprintf(\"%016llx\\n\", {cast}{fn.name}({', '.join(args)}));\n\t}}\n"
        )
    body.append("\treturn 0;\n}\n")
    return "\n" + "".join(out) + "\n" + "".join(body)


def expected(fn: Function) -> tuple[list[int], list[int], list[int]]:
    """Per input vector: the ideal printed value, the model's C value, the model with zero extension."""
    ideal, c, z, _ = fn.evaluators()
    return [ideal(e) for e in fn.vectors], [c(e) for e in fn.vectors], [z(e) for e in fn.vectors]


__all__ = ["MASK64", "Program", "assemble", "expected", "gen_function", "generate", "make_vectors", "render_expr"]
