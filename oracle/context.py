"""Guarded, switch-cased and looped functions: signlint's ranges from the code around
an expression (signlint/context.py), tested by execution both ways.

A ContextFunction is a generated expression (gen.Builder) with code around it that
decides which inputs reach it and, for a shift by a variable count, with which count:

- guards on a parameter, leaving the function (`if (h > 0xff) return 0;`, `if (b >> 7)`,
  `if (b & 0x80)`, `if (n < 0 || n > 23)`, `if (n >= 24u)`) by return or goto, or as
  then/else branches (`if (h <= 0xff) r = e; else r = 0;`);
- a switch on a parameter whose case labels (values, GNU ranges `case 1 ... 7:`) hold
  the sink, the other values going to `default: return 0;` (or past the switch);
- a shift by a parameter `n` (`b << n`, `b << (n + 16)`, `b << (8 * n)`) that guards or
  case labels bound;
- a loop `for (i = a; i < b; i++) r |= e(i);` (also `+=`, `^=`) whose counter is (part of)
  a shift count, `buf[i]` possibly the shifted byte: modelled exactly, the sink's
  compound assignment applied once per iteration;
- a local bounded by an assignment (`unsigned int k = m0 & 7; ... b << (k + 16)`);
- a helper in the same file returning the int (`static inline int f0_get(...)`), widened
  by its caller; its guards inside the helper, or in the caller;
- the int kept in a local first (`int t = e; ... r = t;`), after the guards.

An input that fails a guard never reaches the expression: the function returns 0 in C
and in the model (the ideal value then is 0 too). A guarded parameter is a Slot narrowed
to the hull of the values that pass (Slot.lo/hi, model.Var): the generator's domain, the
rule sites and the vector search see only what reaches the expression, so `h << 24` is
a valid expression under `if (h > 0xff) return 0;`. A shift by a variable count is a
family of ordinary trees, one per count value (specialise()); the evaluators pick the
tree of each input's count, or fold the loop's trees. Everything else (vectors, gcc,
signlint, per-rule verdicts, attribution) is the oracle's ordinary machinery.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from pycparser import c_ast, c_generator

from .gen import (
    TAKE,
    Builder,
    _pick,
    assemble,
    degenerate,
    function_ast,
    gen_function,
    make_vectors,
    params,
    pick_sink,
    render_expr,
)
from .model import (
    I64,
    INT,
    MASK64,
    U8,
    U16,
    U32,
    U64,
    UINT,
    ULONG,
    CType,
    Function,
    Node,
    Shift,
    Sink,
    Slot,
    Var,
    c_fn,
    fixed,
    ideal_fn,
    positions,
    problems,
    replace_at,
    site_rules,
    slots_of,
    walk,
)

MASK32 = (1 << 32) - 1


def _hex(v: int) -> str:
    return str(v) if 0 <= v < 10 else hex(v)


# -- guards ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Guard:
    """Which values of the parameter `key` reach the expression.

    kind: 'le' (`p > K` fails), 'lt' (`p >= K` fails), 'ge' (`p < K` fails: a lower bound
    only), 'in' (`p < K || p > L` fails), 'shr' (`p >> K` fails), 'mask' (`p & K` fails),
    'uge' (an int `p >= Ku` fails: negative values too), 'cases' (switch labels).
    spelling picks one of the equivalent C spellings (`!(p <= K)`, `K < p`, an explicit
    `(unsigned int)p`...).
    """

    key: str
    kind: str
    k: int = 0
    hi: int = 0  # 'in': the upper bound
    labels: tuple[tuple[int, int], ...] = ()
    spelling: int = 0

    def passes(self, v: int) -> bool:
        """v: the parameter's value as its declared type reads it."""
        kind, k = self.kind, self.k
        if kind == "le":
            return v <= k
        if kind == "lt":
            return v < k
        if kind == "ge":
            return v >= k
        if kind == "in":
            return k <= v <= self.hi
        if kind == "shr":
            return v >> k == 0
        if kind == "mask":
            return v & k == 0
        if kind == "uge":
            return v & MASK32 < k
        return any(a <= v <= b for a, b in self.labels)

    def hull(self, t: CType) -> tuple[int, int]:
        """The smallest interval holding every value of type t that passes."""
        kind, k = self.kind, self.k
        lo, hi = (0, t.max) if not t.signed or kind in ("shr", "mask", "uge") else (t.min, t.max)
        if kind == "le":
            hi = k
        elif kind == "lt":
            hi = k - 1
        elif kind == "ge":
            lo = k
        elif kind == "in":
            lo, hi = k, self.hi
        elif kind == "shr":
            hi = (1 << k) - 1
        elif kind == "mask":
            hi = t.umask & ~k
        elif kind == "uge":
            hi = k - 1
        else:
            lo, hi = min(a for a, _ in self.labels), max(b for _, b in self.labels)
        return max(lo, t.min), min(hi, t.max)

    def fail(self, p: str) -> str:
        """A C condition true when the value fails."""
        k, sp = _hex(self.k), self.spelling
        if self.kind == "le":
            return (f"{p} > {k}", f"!({p} <= {k})", f"{k} < {p}")[sp % 3]
        if self.kind == "lt":
            return (f"{p} >= {k}", f"!({p} < {k})")[sp % 2]
        if self.kind == "ge":
            return f"{p} < {k}"
        if self.kind == "in":
            return (f"{p} < {k} || {p} > {_hex(self.hi)}", f"!({p} >= {k} && {p} <= {_hex(self.hi)})")[sp % 2]
        if self.kind == "shr":
            return (f"{p} >> {self.k}", f"({p} >> {self.k}) != 0")[sp % 2]
        if self.kind == "mask":
            return (f"{p} & {k}", f"({p} & {k}) != 0")[sp % 2]
        if self.kind == "uge":
            return (f"{p} >= {k}u", f"(unsigned int){p} >= {k}")[sp % 2]
        raise ValueError(self.kind)

    def passing(self, p: str) -> str:
        """A C condition true when the value passes."""
        k, sp = _hex(self.k), self.spelling
        if self.kind == "le":
            return (f"{p} <= {k}", f"!({p} > {k})", f"{k} >= {p}")[sp % 3]
        if self.kind == "lt":
            return (f"{p} < {k}", f"!({p} >= {k})")[sp % 2]
        if self.kind == "ge":
            return f"{p} >= {k}"
        if self.kind == "in":
            return (f"{p} >= {k} && {p} <= {_hex(self.hi)}", f"!({p} < {k} || {p} > {_hex(self.hi)})")[sp % 2]
        if self.kind == "shr":
            return (f"!({p} >> {self.k})", f"({p} >> {self.k}) == 0")[sp % 2]
        if self.kind == "mask":
            return (f"!({p} & {k})", f"({p} & {k}) == 0")[sp % 2]
        if self.kind == "uge":
            return (f"{p} < {k}u", f"(unsigned int){p} < {k}")[sp % 2]
        raise ValueError(self.kind)

    def case_lines(self) -> list[str]:
        return [f"case {_hex(a)}:" if a == b else f"case {_hex(a)} ... {_hex(b)}:" for a, b in self.labels]


def narrow(slot: Slot, guards) -> Slot:
    """The slot as the guards on it let it reach the expression."""
    lo, hi = slot.declared.min, slot.declared.max
    hints = set(slot.hints)
    for g in guards:
        if g.key != slot.key:
            continue
        a, b = g.hull(slot.declared)
        lo, hi = max(lo, a), min(hi, b)
        hints |= {g.k, g.k - 1, g.k + 1} if g.kind not in ("shr", "cases") else set()
        hints |= {v for ab in g.labels for v in ab}
    if (lo, hi) == (slot.declared.min, slot.declared.max) and not slot.declared.signed:
        return slot
    small = tuple(range(lo, hi + 1)) if hi - lo < 40 else ()
    return replace(slot, lo=lo, hi=hi, hints=tuple(sorted(hints | set(small))))


# -- variable shift counts ---------------------------------------------------------------


class VarShift(Shift):
    """`a << var`, `a << (var + offset)`, `a << (scale * var)`: count = scale * var + offset.
    Its own masks are those of the largest count; only specialise()d trees are evaluated."""

    __slots__ = ("var", "scale", "offset")

    def __init__(self, op: str, a: Node, count: int, var: str, scale: int = 1, offset: int = 0):
        super().__init__(op, a, count)
        self.var, self.scale, self.offset = var, scale, offset

    def with_kids(self, kids):
        return VarShift(self.op, kids[0], self.count, self.var, self.scale, self.offset)

    def at(self, v: int) -> int:
        return self.scale * v + self.offset

    def render_ast(self, sub):
        n = c_ast.ID(self.var)
        if self.scale != 1:
            n = c_ast.BinaryOp("*", c_ast.Constant("int", str(self.scale)), n)
        if self.offset:
            n = c_ast.BinaryOp("+", n, c_ast.Constant("int", str(self.offset)))
        return c_ast.BinaryOp(self.op, sub(self.a), n)


LOOP_BUF = Slot("buf[i]", "buf", U8, 8)


class Elem(Var):
    """`buf[i]` in a loop: buf[v] in the tree of iteration v."""

    __slots__ = ()

    def render_ast(self, sub):
        return c_ast.ArrayRef(c_ast.ID("buf"), c_ast.ID("i"))


def specialise(node: Node, v: int) -> Node:
    """The tree with the count variable (or loop counter) equal to v."""
    if isinstance(node, VarShift):
        return Shift(node.op, specialise(node.a, v), node.at(v))
    if isinstance(node, Elem):
        return Var(Slot(f"buf[{v}]", "buf", U8, 8))
    if node.kids:
        return node.with_kids(tuple(specialise(k, v) for k in node.kids))
    return node


@dataclass(frozen=True)
class Count:
    """Where a VarShift's variable comes from: 'param' (the parameter `key`), 'loop' (the
    counter i, start..stop-1), 'local' (`unsigned int k = key & mask;`)."""

    kind: str
    key: str = ""
    start: int = 0
    stop: int = 0
    mask: int = 0


# -- the functions ------------------------------------------------------------------------


@dataclass
class ContextFunction(Function):
    """A Function with code around its expression (see the module's docstring).

    shape: 'return' (early returns), 'goto' (`goto out`), 'then' (`if (pass) ... else r = 0`),
    'else' (`if (fail) r = 0; else ...`), 'switch' (the first 'cases' guard), 'loop', 'local',
    'helper', 'stored' (the int expression kept in `int t` first, then t goes to the sink).
    extra: inputs the expression does not read (a count parameter, m0 of a local).
    """

    shape: str = "return"
    guards: tuple[Guard, ...] = ()
    extra: tuple[Slot, ...] = ()
    count: Count | None = None
    spelling: int = 0

    @property
    def slots(self) -> list[Slot]:
        out = [s for s in slots_of(self.expr) if s.key != LOOP_BUF.key]
        c = self.count
        if c is not None and c.kind == "loop" and any(isinstance(n, Elem) for n in walk(self.expr)):
            out += [Slot(f"buf[{i}]", "buf", U8, 8) for i in range(c.start, c.stop)]
        out += self.extra
        seen: dict[str, Slot] = {}
        for s in out:
            seen.setdefault(s.key, s)
        return list(seen.values())

    # -- which inputs reach the expression, with which count ---------------------------

    def _reach(self):
        types = {s.key: s.declared for s in self.slots}
        guards = [(g, types[g.key]) for g in self.guards]
        return lambda env: all(g.passes(t.wrap(env[g.key])) for g, t in guards)

    def _counts(self):
        """env -> the count values of the terms evaluated (one per loop iteration)."""
        c = self.count
        if c is None:
            return lambda env: (None,)
        if c.kind == "loop":
            values = tuple(range(c.start, c.stop))
            return lambda env: values
        if c.kind == "local":
            key, mask = c.key, c.mask
            return lambda env: (env[key] & mask,)
        t = next(s.declared for s in self.slots if s.key == c.key)
        return lambda env: (t.wrap(env[c.key]),)

    def count_values(self) -> list:
        """Every count value that reaches the expression."""
        c = self.count
        if c is None:
            return [None]
        if c.kind == "loop":
            return list(range(c.start, c.stop))
        if c.kind == "local":
            return list(range(c.mask + 1))
        s = next(s for s in self.slots if s.key == c.key)
        return [v for v in range(s.lo, s.top + 1) if all(g.passes(v) for g in self.guards if g.key == c.key)]

    def tree(self, v) -> Node:
        return self.expr if v is None else specialise(self.expr, v)

    @property
    def whole(self) -> bool:
        """Does the sink take the expression's value as a whole (not `r op= e`)?"""
        return self.sink.kind != "compound"

    @property
    def rules(self) -> set[str]:
        out: set[str] = set()
        for v in self.count_values():
            out |= site_rules(self.tree(v), self.in_and, self.whole)
        return out

    # -- evaluators: per term as model.Function's, folded by the sink --------------------

    def _fold(self, make, ideal: bool = False, zext: bool = False):
        reach, counts, sink = self._reach(), self._counts(), self.sink
        cache: dict = {}

        def term(v):
            f = cache.get(v)
            if f is None:
                f = cache[v] = make(self.tree(v))
            return f

        def result(env):
            if not reach(env):
                return 0
            vs = counts(env)
            if sink.kind == "compound":
                r = sink.init
                for v in vs:
                    et, f = term(v)
                    step = replace(sink, init=r)
                    r = step.ideal(et, f(env)) if ideal else step.c(et, f(env), zext)
                return r & MASK64
            et, f = term(vs[0])
            return (sink.ideal(et, f(env)) if ideal else sink.c(et, f(env), zext)) & MASK64

        return result

    def evaluators(self):
        ub: set = set()
        in_and = self.in_and
        whole = self.whole
        return (self._fold(lambda t: (t.type, ideal_fn(t, in_and, whole)), ideal=True),
                self._fold(lambda t: (t.type, c_fn(t, False, ub))),
                self._fold(lambda t: (t.type, c_fn(t, True, set())), zext=True),
                ub)

    def fixed_evaluator(self, rules):
        rules, in_and, whole = frozenset(rules), self.in_and, self.whole

        def make(t):
            f = fixed(t, rules, in_and, whole)
            return f.type, c_fn(f)

        return self._fold(make)

    def domain_problems(self) -> list[str]:
        """problems() of every tree that some input evaluates."""
        out = []
        for v in self.count_values():
            out += problems(self.tree(v))
        return out

    # -- rendering ---------------------------------------------------------------------

    def describe_shape(self) -> str:
        """A short description to group disagreements by."""
        kinds = "+".join(f"{g.kind}" for g in self.guards)
        c = f" count:{self.count.kind}" if self.count else ""
        return f"{self.shape}{'/' + kinds if kinds else ''}{c}"

    def render_text(self) -> str:
        plain = c_generator.CGenerator().visit(c_ast.FileAST([function_ast(self)]))
        sig = plain[:plain.index("\n{")]
        e = render_expr(self.expr, self.by_pointer)
        names = {s.key: s.key for s in self.slots}
        helper = ""
        if self.shape == "helper":
            inner = [f"if ({g.fail(names[g.key])}) return 0;" for g in self.guards if self.spelling == 0]
            plist = sig[sig.index("(") + 1:sig.rindex(")")]
            helper = (f"static inline int {self.name}_get({plist})\n{{\n"
                      + "".join(f"  {line}\n" for line in inner) + f"  return {e};\n}}\n\n")
            e = f"{self.name}_get({', '.join(key for _, key in params(self))})"
        stored = []
        if self.shape == "stored":
            stored = [f"int t = {e};"] if self.spelling % 2 == 0 else ["int t;", f"t = {e};"]
            e = "t"
        body = self._body(e, names, stored)
        return helper + sig + "\n{\n" + "".join(f"  {line}\n" for line in body) + "}\n\n"

    def _body(self, e: str, names: dict[str, str], stored: list[str]) -> list[str]:
        sink, shape, sp = self.sink, self.shape, self.spelling
        t, rt = sink.type.spelling, sink.result_type.spelling
        if sink.kind == "arg":
            v = f"{TAKE[sink.type]}({e})"
        elif sink.kind == "compare":
            k = f"(({t}) {hex(sink.k)}ULL)"
            v = f"{k} == ({e})" if sink.swap else f"({e}) == {k}"
        else:
            v = e
        if sink.kind == "compound":
            returns = [f"{t} r = {hex(sink.init)};", f"r {sink.op} {e};", "return r;"]
            sets_r = [f"r = {hex(sink.init)};", f"r {sink.op} {e};"]
        else:
            returns = {"init": [f"{t} r = {v};", "return r;"], "assign": [f"{t} r;", f"r = {v};", "return r;"]}.get(
                sink.kind, [f"return {v};"])
            sets_r = [f"r = {v};"]
        switch = next((g for g in self.guards if g.kind == "cases"), None) if shape == "switch" else None
        others = [g for g in self.guards if g is not switch]
        if shape == "helper" and sp == 0:
            others = []  # in the helper
        early = [f"if ({g.fail(names[g.key])}) return 0;" for g in others]
        ind = ["  " + line for line in sets_r]
        if shape in ("return", "helper", "stored"):
            return early + stored + returns
        if shape == "goto":
            return [f"{rt} r = 0;"] + [f"if ({g.fail(names[g.key])}) goto out;" for g in others] + sets_r + [
                "out:", "return r;"]
        if shape == "then":
            cond = " && ".join(f"({g.passing(names[g.key])})" if len(others) > 1 else g.passing(names[g.key])
                               for g in others)
            if sp % 2:
                return [f"if ({cond}) {{"] + ["  " + line for line in returns] + ["}", "return 0;"]
            return [f"{rt} r;", f"if ({cond}) {{"] + ind + ["} else {", "  r = 0;", "}", "return r;"]
        if shape == "else":
            cond = " || ".join(f"({g.fail(names[g.key])})" if len(others) > 1 else g.fail(names[g.key])
                               for g in others)
            return [f"{rt} r;", f"if ({cond}) {{", "  r = 0;", "} else {"] + ind + ["}", "return r;"]
        if shape == "switch":
            head = f"switch ({names[switch.key]}) {{"
            cases = switch.case_lines()
            if sp % 3 == 0:
                return early + [head] + cases + ["  {"] + ["    " + line for line in returns] + [
                    "  }", "default:", "  return 0;", "}"]
            if sp % 3 == 1:
                return early + [head] + cases + ["  {"] + ["    " + line for line in returns] + ["  }", "}",
                                                                                              "return 0;"]
            return [f"{rt} r = 0;"] + early + [head] + cases + ind + ["  break;", "}", "return r;"]
        if shape == "loop":
            c = self.count
            loop = f"for ({'int ' if sp % 2 else ''}i = {c.start}; i < {c.stop}; i++)"
            return [f"{t} r = {hex(sink.init)};"] + ([] if sp % 2 else ["int i;"]) + early + [
                loop, f"  r {sink.op} {e};", "return r;"]
        if shape == "local":
            c = self.count
            setk = [f"unsigned int k = {c.key} & {hex(c.mask)};"] if sp % 2 == 0 else [
                "unsigned int k;", f"k = {c.key} & {hex(c.mask)};"]
            return setk + early + returns
        raise ValueError(shape)


def build(name: str, expr: Node, sink: Sink, guards=(), shape: str = "return", extra=(), count: Count | None = None,
          spelling: int = 0, by_pointer: bool = True) -> ContextFunction:
    """A ContextFunction whose expression's and extra slots are narrowed by their guards
    (for hand-written cases)."""
    for s in slots_of(expr):
        if any(g.key == s.key for g in guards):
            expr = _with_slot(expr, narrow(s, guards))
    extra = tuple(narrow(s, guards) for s in extra)
    return ContextFunction(name, expr, sink, by_pointer=by_pointer, shape=shape, guards=tuple(guards), extra=extra,
                           count=count, spelling=spelling)


# -- generation -----------------------------------------------------------------------------

TARGETS = (("value", 6), ("count", 3), ("loop", 3), ("local", 1), ("helper", 1), ("stored", 1))
FORMS = (("return", 4), ("goto", 2), ("then", 2), ("else", 1), ("switch", 2))
VALUE_TYPES = (((U8, "b"), 5), ((U16, "h"), 4), ((U32, "w"), 1))
THRESHOLDS = (0x10, 0x40, 0x80, 0x100, 0x1000, 0x8000, 0x10000, 0x1000000, 0x80000000)
LOOP_SINKS = ((U64, 4), (ULONG, 1), (I64, 1), (U32, 1))


class _Focus(Builder):
    """A Builder that often reads one given (guarded) slot."""

    def __init__(self, rng: random.Random, name: str, focus: Slot):
        super().__init__(rng, name)
        self.focus = focus
        self.slots[focus.key] = focus

    def leaf(self) -> Node:
        if self.rng.random() < 0.3:
            return Var(self.focus)
        return super().leaf()


def _with_slot(node: Node, slot: Slot) -> Node:
    """The tree with every read of slot.key reading `slot` (narrowed or not)."""
    if isinstance(node, Var) and not isinstance(node, Elem):
        return Var(slot) if node.slot.key == slot.key else node
    if node.kids:
        return node.with_kids(tuple(_with_slot(k, slot) for k in node.kids))
    return node


def critical(expr: Node, slot: Slot) -> int | None:
    """T, a power of two: the expression's rule sites are all there with the slot at most
    2T - 1 and some are missing with it at most T - 1 (None: the slot's bound changes none)."""
    full = site_rules(expr)
    if not full:
        return None
    for j in range(slot.width + 1):
        sites = site_rules(_with_slot(expr, replace(slot, hi=(1 << j) - 1)))
        if sites == full:
            return 1 << (j - 1) if j else None
    return None


def _points(rng, umask: int, crit: int) -> list[int]:
    return sorted({v for v in (0, 1, crit >> 1, crit - 1, crit, crit + 1, 2 * crit - 1, umask) if 0 <= v <= umask})


def value_guard(rng: random.Random, slot: Slot, crit: int | None, switch: bool) -> Guard | None:
    """A guard on an unsigned parameter, its constants around crit (the bound that matters)."""
    m = slot.umask
    if crit is None or crit > m:
        crit = rng.choice([v for v in THRESHOLDS if v <= m])
    sp = rng.randrange(6)
    j = crit.bit_length() - 1
    if switch:
        pts = _points(rng, m, crit)
        if rng.random() < 0.5:
            top = rng.choice([v for v in (crit - 1, crit - 1, crit, 2 * crit - 1) if 0 <= v <= m])
            bottom = rng.choice((0, 0, 1, crit >> 1)) if top > 1 else 0
            labels = ((min(bottom, top), top),)
        else:
            chosen = sorted(rng.sample(pts, min(len(pts), rng.randint(1, 4))))
            labels, i = [], 0
            while i < len(chosen):
                if i + 1 < len(chosen) and rng.random() < 0.5:
                    labels.append((chosen[i], chosen[i + 1]))
                    i += 2
                else:
                    labels.append((chosen[i], chosen[i]))
                    i += 1
            labels = tuple(labels)
        return Guard(slot.key, "cases", labels=labels, spelling=sp)
    kind = _pick(rng, (("le", 6), ("lt", 2), ("ge", 1), ("in", 2), ("shr", 2), ("mask", 3)))
    if kind == "le":
        k = rng.choice((crit - 1, crit - 1, crit, crit + 1, 2 * crit - 1))
        return Guard(slot.key, kind, min(k, m - 1), spelling=sp) if k >= 0 else None
    if kind == "lt":
        return Guard(slot.key, kind, min(rng.choice((crit, crit, crit + 1)), m), spelling=sp)
    if kind == "ge":
        return Guard(slot.key, kind, max(1, rng.choice((1, crit >> 1, crit - 1, crit))), spelling=sp)
    if kind == "in":
        hi = min(rng.choice((crit - 1, crit, 2 * crit - 1)), m - 1)
        lo = rng.choice((1, 0x10, crit >> 1))
        return Guard(slot.key, kind, lo, hi, spelling=sp) if 0 < lo <= hi else None
    bits = min(rng.choice((j, j, j + 1, j - 1)), slot.width - 1)
    if bits < 0:
        return None
    if kind == "shr":
        return Guard(slot.key, kind, bits, spelling=sp)
    if rng.random() < 0.15 and bits + 1 < slot.width:
        return Guard(slot.key, kind, 1 << bits, spelling=sp)  # one bit: not a bound on the value
    return Guard(slot.key, kind, m & ~((1 << bits) - 1), spelling=sp)


def _unsigned_params(expr: Node) -> list[Slot]:
    return [s for s in slots_of(expr) if s.kind == "param" and not s.declared.signed and not s.narrowed
            and s.width <= 32]


def _check(fn: ContextFunction) -> ContextFunction | None:
    if fn.domain_problems():
        return None
    if any(degenerate(fn.tree(v)) for v in fn.count_values()[-1:]):
        return None
    return fn


def _guard_more(rng, expr: Node, guards: list[Guard], chance: float) -> Node:
    """Maybe a guard on one more parameter of the expression (narrowing it in the tree)."""
    others = [s for s in _unsigned_params(expr) if all(g.key != s.key for g in guards)]
    if others and rng.random() < chance:
        s = rng.choice(others)
        g = value_guard(rng, s, critical(expr, s), False)
        if g is not None:
            guards.append(g)
            expr = _with_slot(expr, narrow(s, [g]))
    return expr


def _value(rng: random.Random, name: str) -> ContextFunction | None:
    t, prefix = _pick(rng, VALUE_TYPES)
    plain = Slot(prefix + "0", "param", t, t.bits)
    shape = _pick(rng, FORMS)
    if rng.random() < 0.5:  # the guard first: the expression may need it (`h << 24` under h <= 0xff)
        guard = value_guard(rng, plain, None, shape == "switch")
        if guard is None:
            return None
        slot = narrow(plain, [guard])
        expr = None
        for _ in range(10):
            expr = _Focus(rng, name, slot).expr(rng.randint(1, 3))
            if any(s.key == slot.key for s in slots_of(expr)):
                break
        else:
            return None
    else:
        expr = _Focus(rng, name, plain).expr(rng.randint(1, 3))
        if all(s.key != plain.key for s in slots_of(expr)):
            return None
        guard = value_guard(rng, plain, critical(expr, plain), shape == "switch")
        if guard is None:
            return None
        expr = _with_slot(expr, narrow(plain, [guard]))
    guards = [guard]
    expr = _guard_more(rng, expr, guards, 0.25)
    sink = pick_sink(rng)
    return _check(ContextFunction(name, expr, sink, by_pointer=rng.random() < 0.6, shape=shape,
                                  guards=tuple(guards), spelling=rng.randrange(6)))


def _shift_site(rng, expr: Node):
    """A left shift of the expression and the largest count it can have in the domain."""
    shifts = [(p, n) for p, n in positions(expr) if type(n) is Shift and n.op == "<<" and n.count > 0]
    if not shifts:
        return None
    path, node = rng.choice(shifts)
    kdom = node.count
    while kdom < 31 and not problems(replace_at(expr, path, Shift("<<", node.a, kdom + 1))):
        kdom += 1
    return path, node, kdom


def _count(rng: random.Random, name: str) -> ContextFunction | None:
    """`b << n`, `b << (n + 16)`, `b << (8 * n)` with n bounded by guards or case labels."""
    shape = _pick(rng, FORMS)
    expr = Builder(rng, name).expr(rng.randint(1, 3))
    site = _shift_site(rng, expr)
    if site is None:
        return None
    path, node, kdom = site
    k = node.count
    forms = [(1, 0)] + [(1, c) for c in (8, 16, 24) if c <= k] + ([(8, 0)] if kdom >= 8 else [])
    scale, offset = rng.choice(forms)
    ctop = rng.choice([c for c in (kdom, kdom, kdom - 1, k, k - 1) if c >= offset])
    hi = (ctop - offset) // scale
    lo = 1 if hi >= 1 and rng.random() < 0.2 else 0
    ctype = _pick(rng, ((INT, 3), (UINT, 2), (U8, 1)))
    key, sp = "n0", rng.randrange(6)
    if shape == "switch":
        if scale == 1 and hi >= 8 and rng.random() < 0.5:
            labels = tuple((v, v) for v in range(lo, hi + 1, 8))
            if rng.random() < 0.5 and labels[-1][0] != hi:
                labels += ((hi, hi),)
        elif rng.random() < 0.5:
            labels = ((lo, hi),)
        else:
            pts = sorted(rng.sample(range(lo, hi + 1), min(hi + 1 - lo, rng.randint(1, 4))))
            labels = tuple((v, v) for v in pts)
        guard = Guard(key, "cases", labels=labels, spelling=sp)
    elif ctype.signed:
        if lo == 0 and rng.random() < 0.5:
            guard = Guard(key, "uge", hi + 1, spelling=sp)
        else:
            guard = Guard(key, "in", lo, hi, spelling=sp)
    else:
        kinds = ["le", "lt"] + (["in"] if lo else []) + (["shr", "mask"] if lo == 0 and (hi + 1) & hi == 0 else [])
        kind = rng.choice(kinds)
        bits = (hi + 1).bit_length() - 1
        guard = Guard(key, kind, {"le": hi, "lt": hi + 1, "in": lo, "shr": bits,
                                  "mask": ctype.umask & ~hi}[kind], hi if kind == "in" else 0, spelling=sp)
    slot = narrow(Slot(key, "param", ctype, ctype.bits), [guard])
    expr = replace_at(expr, path, VarShift("<<", node.a, ctop, key, scale, offset))
    guards = [guard]
    expr = _guard_more(rng, expr, guards, 0.15)
    return _check(ContextFunction(name, expr, pick_sink(rng), by_pointer=rng.random() < 0.6, shape=shape,
                                  guards=tuple(guards), extra=(slot,), count=Count("param", key), spelling=sp))


def _loop(rng: random.Random, name: str) -> ContextFunction | None:
    """`for (i = a; i < b; i++) r |= e(i);`: i in a shift count, maybe buf[i] the shifted byte."""
    expr = Builder(rng, name).expr(rng.randint(1, 2))
    site = _shift_site(rng, expr)
    if site is None:
        return None
    path, node, kdom = site
    k = node.count
    scale = rng.choice([1] + [s for s in (8, 8, 16) if kdom >= s])
    offset = rng.choice((0, 0, 0, 1)) if scale > 1 else 0
    ctop = rng.choice([c for c in (kdom, kdom, kdom - 1, k) if c >= offset])
    stop = (ctop - offset) // scale + 1
    start = 1 if stop > 1 and rng.random() < 0.2 else 0
    a = node.a
    if stop <= 8 and isinstance(a, Var) and a.slot.declared == U8 and rng.random() < 0.6:
        a = Elem(LOOP_BUF)
    expr = replace_at(expr, path, VarShift("<<", a, ctop, "i", scale, offset))
    guards: list[Guard] = []
    expr = _guard_more(rng, expr, guards, 0.25)
    op = _pick(rng, (("|=", 3), ("+=", 1), ("^=", 1)))
    t = _pick(rng, LOOP_SINKS)
    sink = Sink("compound", t, op, rng.choice((0, 0, 0, 0x100)) if op == "|=" else 0)
    return _check(ContextFunction(name, expr, sink, by_pointer=rng.random() < 0.6, shape="loop",
                                  guards=tuple(guards), count=Count("loop", start=start, stop=stop),
                                  spelling=rng.randrange(6)))


def _local(rng: random.Random, name: str) -> ContextFunction | None:
    """`unsigned int k = m0 & 7; ... b << (k + 16)`: an assignment bounds the count."""
    expr = Builder(rng, name).expr(rng.randint(1, 3))
    site = _shift_site(rng, expr)
    if site is None:
        return None
    path, node, kdom = site
    masks = [m for m in (1, 3, 7, 15, 31) if m <= kdom]
    if not masks:
        return None
    mask = rng.choice(masks)
    ctop = rng.choice([c for c in (kdom, kdom, kdom - 1, node.count) if c >= mask])
    expr = replace_at(expr, path, VarShift("<<", node.a, ctop, "k", 1, ctop - mask))
    t = _pick(rng, ((U32, 2), (U16, 1), (U8, 1)))
    extra = (Slot("m0", "param", t, t.bits),)
    return _check(ContextFunction(name, expr, pick_sink(rng), by_pointer=rng.random() < 0.6, shape="local",
                                  extra=extra, count=Count("local", "m0", mask=mask), spelling=rng.randrange(6)))


def _int_expr(rng: random.Random, name: str) -> Node | None:
    """A generated expression of type int (ten tries), for helpers and stored locals."""
    for _ in range(10):
        expr = Builder(rng, name).expr(rng.randint(1, 3))
        if expr.type == INT:
            return expr
    return None


def _helper(rng: random.Random, name: str) -> ContextFunction | None:
    """An int helper widened by its caller (`u64 r = f0_get(b0);`), guarded in the helper
    (spelling 0) or in the caller (1)."""
    expr = _int_expr(rng, name)
    if expr is None:
        return None
    guards: list[Guard] = []
    expr = _guard_more(rng, expr, guards, 0.7)
    sp = rng.randrange(2)
    kinds = (("init", 2), ("assign", 1), ("return", 3), ("arg", 2)) + ((("compare", 1), ("compound", 1))
                                                                       if sp or not guards else ())
    return _check(ContextFunction(name, expr, pick_sink(rng, kinds), by_pointer=rng.random() < 0.6, shape="helper",
                                  guards=tuple(guards), spelling=sp))


def _stored(rng: random.Random, name: str) -> ContextFunction | None:
    """An int expression kept in a local before it reaches the sink (`int t = b0 << 24;
    u64 r = t;`), after the guards (signlint follows t from its assignment)."""
    expr = _int_expr(rng, name)
    if expr is None:
        return None
    guards: list[Guard] = []
    expr = _guard_more(rng, expr, guards, 0.5)
    return _check(ContextFunction(name, expr, pick_sink(rng), by_pointer=rng.random() < 0.6, shape="stored",
                                  guards=tuple(guards), spelling=rng.randrange(2)))


MAKERS = {"value": _value, "count": _count, "loop": _loop, "local": _local, "helper": _helper, "stored": _stored}


def gen_context_function(rng: random.Random, name: str) -> Function:
    for _ in range(30):
        fn = MAKERS[_pick(rng, TARGETS)](rng, name)
        if fn is not None:
            return fn
    return gen_function(rng, name)


def generate_context(seed: int, count: int = 8, mix: float = 1.0):
    """Like gen.generate(): `mix` of the functions have code around their expression."""
    rng = random.Random(seed)
    functions = []
    for i in range(count):
        fn = gen_context_function(rng, f"f{i}") if rng.random() < mix else gen_function(rng, f"f{i}")
        # A longer witness search: a wrong value may need the one count (or guard boundary) that reaches it.
        functions.append(make_vectors(fn, rng, search=1000 if isinstance(fn, ContextFunction) else 300))
    return assemble(seed, functions)


def _context_candidates(fn: ContextFunction):
    """Simpler surroundings: early returns instead of other forms, fewer guards, plainer spellings."""
    if fn.shape in ("goto", "then", "else"):
        yield replace(fn, shape="return", vectors=[])
    if fn.spelling:
        yield replace(fn, spelling=0, vectors=[])
    for i, g in enumerate(fn.guards):
        if g.spelling:
            yield replace(fn, guards=fn.guards[:i] + (replace(g, spelling=0),) + fn.guards[i + 1:], vectors=[])
        if fn.count is not None and g.key == fn.count.key or fn.shape == "switch" and g.kind == "cases":
            continue
        slot = next((s for s in fn.slots if s.key == g.key), None)
        if slot is not None:
            plain = Slot(slot.key, slot.kind, slot.declared, slot.width)
            yield replace(fn, expr=_with_slot(fn.expr, plain), guards=fn.guards[:i] + fn.guards[i + 1:], vectors=[])


def _renderable(fn: ContextFunction) -> bool:
    """A loop needs its compound sink; a helper's guards return 0 to the caller, which only
    some sinks pass on as 0."""
    if fn.shape == "loop":
        return fn.sink.kind == "compound"
    if fn.shape == "helper" and fn.spelling == 0 and fn.guards:
        return fn.sink.kind not in ("compare", "compound")
    return True


def _cost(fn) -> tuple:
    from .run import _sink_rank, _size

    if not isinstance(fn, ContextFunction):
        return (_size(fn), 0, 0, _sink_rank(fn))
    return (_size(fn), len(fn.guards), fn.shape != "return", _sink_rank(fn))


def reduce(fr, rule: str | None = None, workdir: str | None = None, max_steps: int = 200):
    """run.reduce() for context functions: also simplifies the code around the expression
    (kept only where the rule's verdict stays the same)."""
    from .run import _candidates
    from .run import reduce as plain_reduce

    if not isinstance(fr.fn, ContextFunction):
        return plain_reduce(fr, rule, workdir, max_steps)

    def candidates(fn):
        return (*_context_candidates(fn), *_candidates(fn))

    def smaller(cand, fn) -> bool:
        if cand.domain_problems() or any(degenerate(cand.tree(v)) for v in cand.count_values()[-1:]):
            return False
        return _cost(cand) < _cost(fn) and _renderable(cand)

    return plain_reduce(fr, rule, workdir, max_steps, candidates, smaller)


def pattern(fr, rule: str | None = None) -> str:
    """run.pattern() with the function's shape and guard kinds in front."""
    from .run import pattern as plain

    shape = fr.fn.describe_shape() + ": " if isinstance(fr.fn, ContextFunction) else ""
    return shape + plain(fr, rule)


__all__ = ["ContextFunction", "Count", "Elem", "Guard", "VarShift", "build", "gen_context_function", "generate_context",
           "narrow", "pattern", "reduce", "specialise"]
