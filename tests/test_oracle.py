"""The execution oracle (oracle/): its evaluators on hand-written expressions whose
values are known (docs: promotion-facts.md), the attribution of wrong values to
rules, the generator's domain, and a fixed batch of random programs on which
signlint (all rules) must agree with gcc."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oracle.gen import assemble, generate, make_vectors, render_expr  # noqa: E402
from oracle.model import (  # noqa: E402
    CHAR,
    I64,
    INT,
    MASK64,
    SCHAR,
    U8,
    U16,
    U32,
    U64,
    Bin,
    Cast,
    Cond,
    CType,
    Function,
    Lit,
    Shift,
    Sink,
    Slot,
    Unary,
    Var,
    c_fn,
    problems,
    walk,
)
from oracle.run import check_program, have_gcc, run_seeds  # noqa: E402

needs_gcc = pytest.mark.skipif(not have_gcc(), reason="gcc is needed to run the generated programs")

B = Slot("b0", "param", U8, 8)
C = Slot("b1", "param", U8, 8)
H = Slot("h0", "param", U16, 16)
W = Slot("w0", "param", U32, 32)
BASE2 = Slot("f0", "field", CType("unsigned", 32, False), 8, bitfield=True)
COND = Slot("c0", "cond", INT, 1)
H1 = Slot("h1", "param", U16, 16)
Q = Slot("q0", "param", U64, 64)
CH = Slot("ch0", "param", CHAR, 8)
SC = Slot("sc0", "param", SCHAR, 8)
CB = Slot("cb[2]", "cbuf", CHAR, 8)
BF7 = Slot("f1", "field", CType("unsigned", 32, False), 7, bitfield=True)
b, c, h, w, base2 = Var(B), Var(C), Var(H), Var(W), Var(BASE2)
h1, q, ch, sc, cb, bf7 = Var(H1), Var(Q), Var(CH), Var(SC), Var(CB), Var(BF7)


def ret(t):
    return Sink("return", t)


# (expression, sink, input, C value as printed, ideal value as printed); the C
# values of the first rows are the ones promotion-facts.md observed with gcc.
KNOWN = [
    (Shift("<<", b, 24), ret(U64), {"b0": 0x80}, 0xFFFFFFFF80000000, 0x80000000),
    (Cast(U64, Shift("<<", b, 24)), ret(U64), {"b0": 0x80}, 0xFFFFFFFF80000000, 0x80000000),
    (Shift("<<", Cast(U64, b), 24), ret(U64), {"b0": 0x80}, 0x80000000, 0x80000000),
    (Shift("<<", b, 24), ret(U32), {"b0": 0x80}, 0x80000000, 0x80000000),
    (Shift("<<", Lit(1), 31), ret(U64), {}, 0xFFFFFFFF80000000, 0x80000000),
    (Shift("<<", b, 24), ret(U64), {"b0": 0x7F}, 0x7F000000, 0x7F000000),
    (Shift("<<", b, 23), ret(U64), {"b0": 0xFF}, 0x7F800000, 0x7F800000),
    (Shift("<<", h, 16), ret(U64), {"h0": 0x8000}, 0xFFFFFFFF80000000, 0x80000000),
    (Shift("<<", base2, 24), ret(U64), {"f0": 0xFF}, 0xFFFFFFFF00000000 | 0xFF000000, 0xFF000000),
    (Shift("<<", b, 24), ret(I64), {"b0": 0x80}, 0xFFFFFFFF80000000, 0x80000000),
    (Shift("<<", b, 24), ret(INT), {"b0": 0x80}, 0xFFFFFFFF80000000, 0xFFFFFFFF80000000),  # an int sink: no widening
    (Bin("|", Shift("<<", b, 24), w), ret(U64), {"b0": 0x80, "w0": 1}, 0x80000001, 0x80000001),  # unsigned int
    (Bin("|", Shift("<<", Cast(U64, w), 8), Shift("<<", b, 24)), ret(U64), {"b0": 0x80, "w0": 0x1000000},
     0xFFFFFFFF80000000, 0x180000000),
    (Shift(">>", Cast(U64, Shift("<<", b, 24)), 8), ret(U64), {"b0": 0x80}, 0x00FFFFFFFF800000, 0x800000),
    (Cast(U32, Shift(">>", Cast(U64, Shift("<<", b, 24)), 24)), ret(U64), {"b0": 0x80}, 0xFFFFFF80, 0x80),
    (Cast(U8, Shift("<<", b, 4)), ret(U64), {"b0": 0xFF}, 0xF0, 0xF0),  # an intended truncation
    (Bin("+", Shift("<<", b, 24), Shift("<<", c, 16)), ret(U64), {"b0": 0x80, "b1": 0xFF},
     0xFFFFFFFF80FF0000, 0x80FF0000),
    (Cond(COND, Shift("<<", b, 24), Lit(0)), ret(U64), {"b0": 0x80, "c0": 1}, 0xFFFFFFFF80000000, 0x80000000),
    (Cond(COND, Shift("<<", b, 24), Lit(0)), ret(U64), {"b0": 0x80, "c0": 0}, 0, 0),
    (Cond(COND, Shift("<<", b, 24), w), ret(U64), {"b0": 0x80, "w0": 0, "c0": 1}, 0x80000000, 0x80000000),
    (Shift("<<", b, 24), Sink("compound", U64, "|=", 1), {"b0": 0x80}, 0xFFFFFFFF80000001, 0x80000001),
    (Shift("<<", b, 24), Sink("compound", U32, "|=", 1), {"b0": 0x80}, 0x80000001, 0x80000001),
    (Shift("<<", b, 24), Sink("compound", U64, "+=", 1 << 32), {"b0": 0x80}, 0x80000000, 0x180000000),
    (Shift("<<", b, 24), Sink("compare", U64, k=0x80000000), {"b0": 0x80}, 0, 1),
    (Shift("<<", b, 24), Sink("compare", U64, k=0x7F000000), {"b0": 0x7F}, 1, 1),
    (Bin("&", Shift("<<", b, 24), Lit(0xFFFFFFFF, "ULL")), ret(U64), {"b0": 0x80}, 0x80000000, 0x80000000),
]


def _function(expr, sink, env):
    fn = Function("f0", expr, sink)
    fn.vectors = [dict(env)]
    return fn


@pytest.mark.parametrize("expr, sink, env, c_value, ideal_value", KNOWN,
                         ids=[f"{i}-{render_expr(e)}->{s.kind}-{s.type.spelling}" for i, (e, s, *_) in
                              enumerate(KNOWN)])
def test_evaluators_on_known_values(expr, sink, env, c_value, ideal_value):
    assert not problems(expr)
    ideal, c, zext, _ = _function(expr, sink, env).evaluators()
    assert ideal(env) == ideal_value
    assert c(env) == c_value
    assert zext(env) == ideal_value  # every difference here is sign extension


def test_evaluators_agree_with_promotion_facts_table():
    # promotion-facts.md: with uint8_t b = 0x80, `b << 24` stored in uint64_t is
    # ffffffff80000000 (ideal 0000000080000000); the early cast gives 0000000080000000.
    ideal, c, _, _ = _function(Shift("<<", b, 24), ret(U64), {"b0": 0x80}).evaluators()
    assert f"{c({'b0': 0x80}):016x}" == "ffffffff80000000"
    assert f"{ideal({'b0': 0x80}):016x}" == "0000000080000000"


# Rows beyond SL001: (expression, sink, input, C value at -O0, ideal value, the rules whose
# difference the input shows). promotion-facts.md has the first three C values.
KNOWN_RULES = [
    (Bin("*", h, h), ret(U64), {"h0": 0xFFFF}, 0xFFFFFFFFFFFE0001, 0xFFFE0001, {"SL002"}),
    (Unary("~", Cast(U16, Lit(0xFF))), ret(U64), {}, 0xFFFFFFFFFFFFFF00, 0xFFFFFF00, {"SL006"}),
    (Bin("&", q, Unary("~", w)), ret(U64), {"q0": MASK64, "w0": 0xFFF}, 0xFFFFF000, 0xFFFFFFFFFFFFF000, {"SL006"}),
    (Bin("&", q, Unary("~", b)), ret(U64), {"q0": MASK64, "b0": 0xF}, MASK64 - 0xF, MASK64 - 0xF, set()),  # a mask
    (Unary("~", h), Sink("compound", U64, "&=", MASK64), {"h0": 0xF}, MASK64 - 0xF, MASK64 - 0xF, set()),
    (Bin("|", ch, Lit(0x1200)), ret(U32), {"ch0": 0xF0}, 0xFFFFFFF0, 0x12F0, {"SL003"}),
    # a `signed char` taken whole is a signed number (issue 15); used as a byte it is a byte
    (Cast(U64, sc), ret(U64), {"sc0": 0x80}, 0xFFFFFFFFFFFFFF80, 0xFFFFFFFFFFFFFF80, set()),
    (Bin("|", sc, Lit(0x1200)), ret(U32), {"sc0": 0x80}, 0xFFFFFF80, 0x1280, {"SL003"}),
    (Cast(U64, sc), Sink("compound", U64, "|=", 0x100), {"sc0": 0x80}, 0xFFFFFFFFFFFFFF80, 0x180, {"SL003"}),
    (cb, Sink("compare", U64, k=0x80), {"cb[2]": 0x80}, 0, 1, {"SL003"}),
    (Bin("&", cb, Lit(0xFF)), ret(U64), {"cb[2]": 0x80}, 0x80, 0x80, set()),  # the right way
    (Cast(U64, Shift("<<", w, 8)), ret(U64), {"w0": 0x01000001}, 0x100, 0x100000100, {"SL004"}),
    (Shift("<<", Cast(U64, w), 8), ret(U64), {"w0": 0x01000001}, 0x100000100, 0x100000100, set()),
    (Bin("-", Lit(0xFF), ch), ret(INT), {"ch0": 0x80}, 0x17F, 0x7F, {"SL003"}),
    (Bin("|", Shift("<<", b, 24), Bin("*", h, h)), ret(U64), {"b0": 0x80, "h0": 1}, 0xFFFFFFFF80000001, 0x80000001,
     {"SL001"}),
    (Bin("|", Shift("<<", b, 24), Bin("*", h, h)), ret(U64), {"b0": 0x80, "h0": 0xFFFF},
     0xFFFFFFFFFFFE0001, 0xFFFE0001 | 0x80000000, {"SL001", "SL002"}),  # both negative: either sign-extends
    (Bin("&", ch, Unary("~", bf7)), ret(U64), {"ch0": 0x80, "f1": 0}, 0xFFFFFFFFFFFFFF80, 0x80, {"SL003"}),
    (Bin("|", Shift("<<", Cast(U32, ch), 24), Lit(0)), ret(U64), {"ch0": 0x80}, 0x80000000, 0x80000000, set()),
]


@pytest.mark.parametrize("expr, sink, env, c_value, ideal_value, rules", KNOWN_RULES,
                         ids=[f"{i}-{render_expr(e)}->{s.kind}-{s.type.spelling}" for i, (e, s, *_) in
                              enumerate(KNOWN_RULES)])
def test_evaluators_and_attribution(expr, sink, env, c_value, ideal_value, rules):
    assert not problems(expr), problems(expr)
    fn = _function(expr, sink, env)
    ideal, c, _, _ = fn.evaluators()
    assert c(env) == c_value
    assert ideal(env) == ideal_value
    assert fn.attribution()(env, ideal(env), c(env))[1] == rules
    assert fn.fixed_evaluator({"SL001", "SL002", "SL003", "SL004", "SL006"})(env) == ideal_value


def test_domain_checks():
    assert problems(Shift("<<", b, 25))  # 8 bits shifted by 25 lose bit 32
    assert problems(Shift(">>", Shift("<<", b, 24), 8))  # arithmetic shift of a negative int
    assert problems(Shift("<<", Shift("<<", b, 24), 0))  # a left shift of a negative int
    assert problems(Bin("+", Shift("<<", b, 23), Shift("<<", c, 23)))  # int overflow
    assert not problems(Shift("<<", w, 1))  # a uint32_t shift that loses bits: SL004
    assert problems(Shift(">>", Shift("<<", w, 8), 4))  # ... then shifted back: intent unclear
    assert problems(Bin("+", w, Var(Slot("w1", "param", U32, 32))))  # u32 wrap-around: no rule's
    assert not problems(Bin("+", Shift("<<", b, 24), Shift("<<", c, 16)))  # disjoint bits: no carry
    assert not problems(Shift("<<", Var(Slot("w1", "param", U16, 16)), 16))
    assert problems(Shift("<<", ch, 8))  # a left shift of a negative char: undefined
    assert not problems(Shift("<<", Cast(U8, ch), 8))
    assert problems(Shift("<<", Cast(U16, ch), 24))  # 0xff80 << 24 passes bit 31: undefined
    assert not problems(Bin("*", h, h))  # overflows int: SL002, allowed
    assert problems(Bin("*", Bin("*", h, h), Lit(2)))  # a product of a possibly negative int
    assert problems(Unary("~", Shift("<<", b, 8)))  # '~' of an int: which width is meant is unclear
    assert problems(Bin("-", b, Lit(1)))  # can go below zero
    assert not problems(Bin("-", Lit(0xFF), b))
    ub: set = set()
    c_fn(Bin("+", Shift("<<", b, 23), Shift("<<", c, 23)), ub=ub)({"b0": 0xFF, "b1": 0xFF})
    assert {k for k, _ in ub} == {"add"}
    ub = set()
    c_fn(Bin("*", h, h), ub=ub)({"h0": 0xFFFF})
    assert {k for k, _ in ub} == {"mul"}


@pytest.mark.parametrize("seed", range(30))
def test_generator_stays_in_the_domain(seed):
    prog = generate(seed, 6)
    for fn, (first, last) in zip(prog.functions, prog.ranges, strict=True):
        assert not problems(fn.expr)
        assert all(n.count <= 31 for n in walk(fn.expr) if isinstance(n, Shift))
        assert fn.vectors
        lines = prog.source.splitlines()
        assert lines[first - 1].split("(")[0].endswith(" " + fn.name) and lines[last - 1] == "}"
        ub: set = set()
        f = c_fn(fn.expr, ub=ub)
        for env in fn.vectors:
            f(env)
        assert {k for k, _ in ub} <= {"shift", "mul"}  # an int shift into bit 31, an int product overflow


def test_generation_is_reproducible():
    assert generate(7, 4).source == generate(7, 4).source
    assert generate(7, 4).source != generate(8, 4).source


@needs_gcc
def test_gcc_agrees_with_the_evaluators(tmp_path):
    functions = []
    for i, (expr, sink, env, _, _) in enumerate(KNOWN):
        fn = _function(expr, sink, env)
        fn.name = f"f{i}"
        functions.append(fn)
    res = check_program(assemble(1, functions), str(tmp_path))
    assert not res.errors
    for fr, (_, _, _, c_value, ideal_value) in zip(res.functions, KNOWN, strict=True):
        assert not fr.harness, fr.describe()
        observed = c_value if not fr.wrong else fr.wrong[0][1]
        assert observed == c_value, fr.describe()
        assert bool(fr.wrong) == (c_value != ideal_value), fr.describe()
        if fr.wrong:  # (a correct row may still be flagged: its one input does not trigger the bug)
            assert fr.sign_extension
            assert fr.verdict_for("SL001") == "agree-bug", fr.describe()  # signlint flags every wrong one
    # -fsanitize=shift: every int shift into bit 31 is reported, nothing else.
    for fr in res.functions:
        assert bool(fr.ubsan) == fr.model_shift_ub, fr.describe()


@needs_gcc
def test_gcc_agrees_with_the_attribution(tmp_path):
    functions = []
    for i, (expr, sink, env, *_) in enumerate(KNOWN_RULES):
        fn = _function(expr, sink, env)
        fn.name = f"f{i}"
        functions.append(fn)
    res = check_program(assemble(1, functions), str(tmp_path))
    assert not res.errors
    for fr, (_, _, _, c_value, ideal_value, rules) in zip(res.functions, KNOWN_RULES, strict=True):
        assert not fr.harness, fr.describe()
        assert bool(fr.wrong) == (c_value != ideal_value), fr.describe()
        assert {r for r, s in fr.shows.items() if s and r != "SL005"} == rules, fr.describe()


# gcc -O2 exploits the overflow of an int product even through a uint32_t
# (promotion-facts.md): `(uint64_t)(uint32_t)(h * h)` is right at -O0 only.
@needs_gcc
def test_o2_product_overflow_is_sl002(tmp_path):
    fn = make_vectors(Function("f0", Cast(U32, Bin("*", h, h1)), ret(U64)), random.Random(1))
    fr = check_program(assemble(1, [fn]), str(tmp_path)).functions[0]
    assert not fr.harness, fr.describe()
    assert fr.shows["SL002"] and fr.wrong, fr.describe()
    assert all(o0 == i and o2 != i for _, o0, i, o2 in fr.wrong), fr.describe()


W1 = Var(Slot("w1", "param", U32, 32))
BF11 = Var(Slot("f2", "field", CType("unsigned", 32, False), 11, bitfield=True))
BF23 = Var(Slot("f3", "field", CType("unsigned", 32, False), 23, bitfield=True))
BF28 = Var(Slot("f4", "field", CType("unsigned", 32, False), 28, bitfield=True))


def _verdict(expr, sink, tmp_path):
    fn = make_vectors(Function("f0", expr, sink), random.Random(1), search=2000)
    fr = check_program(assemble(1, [fn]), str(tmp_path)).functions[0]
    assert not fr.harness, fr.describe()
    return fr


# Reduced patterns on which signlint disagreed with execution (the oracle's runs up to
# seed 110000) and now agrees: (rule, the verdict now, what, expression, sink).
RULE_AGREEMENTS = [
    # A char's sign ones cut off, masked, shifted out or hidden before anyone sees them.
    ("SL003", "agree-ok", "char XOR-ed, then cut to a byte", Cast(U8, Bin("^", b, ch)), ret(U64)),
    ("SL003", "agree-ok", "char OR-ed, then cut to a byte", Cast(U8, Bin("|", ch, w)), ret(U64)),
    ("SL003", "agree-ok", "(uint32_t)char << 24: its ones leave", Shift("<<", Cast(U32, ch), 24), ret(U64)),
    ("SL003", "agree-ok", "(uint64_t)char & 0x7f", Bin("&", Cast(U64, ch), Lit(0x7F)), ret(U64)),
    ("SL003", "agree-ok", "char | 0xffffffff hides its ones", Bin("|", ch, Lit(0xFFFFFFFF)), ret(U64)),
    ("SL003", "agree-ok", "a char's ones only where the mask has an SL001 bug's ones",
     Bin("&", Shift("<<", Cast(U64, cb), 31), Shift("<<", BF11, 21)), ret(U64)),
    # ... and kept where they show.
    ("SL003", "agree-bug", "char & 0x7fff keeps its ones", Cast(U64, Bin("&", sc, Lit(0x7FFF))), ret(U64)),
    ("SL003", "agree-bug", "u16 & char", Bin("&", h, ch), ret(U64)),
    ("SL003", "agree-bug", "char & 0xfff", Bin("&", ch, Lit(0xFFF)), ret(U64)),
    ("SL003", "agree-bug", "0xff - char", Bin("-", Lit(0xFF), ch), ret(U64)),
    ("SL003", "agree-bug", "char + 0x100", Bin("+", ch, Lit(0x100)), ret(U64)),
    ("SL003", "agree-bug", "signed char added to assembled bytes", Bin("+", Shift("<<", w, 8), sc), ret(U64)),
    ("SL003", "agree-bug", "(uint32_t)char << 16: its ones stay in bits 24..31", Shift("<<", Cast(U32, ch), 16),
     ret(U64)),
    ("SL003", "agree-bug", "(char & 0x1ff) << 23", Shift("<<", Bin("&", ch, Lit(0x1FF)), 23), ret(U64)),
    ("SL003", "agree-ok", "0x1ffffffffULL | char into an int", Bin("|", Lit(0x1FFFFFFFF, "ULL"), ch), ret(INT)),
    ("SL003", "agree-ok", "(uint32_t)char | 0x7fffffffffffffffULL",
     Bin("|", Cast(U32, ch), Lit(0x7FFFFFFFFFFFFFFF, "ULL")), ret(U64)),
    ("SL003", "agree-ok", "char | ~b into an int", Bin("|", ch, Unary("~", b)), ret(INT)),
    ("SL003", "agree-ok", "0x7fff | (0xff - char)", Bin("|", Lit(0x7FFF), Bin("-", Lit(0xFF), cb)), ret(U64)),
    ("SL003", "agree-bug", "char & char", Bin("&", ch, cb), ret(U64)),
    # Other rules' values that are large only because of a char's ones: the char's bug.
    ("SL004", "agree-ok", "(uint32_t)char << 24: the bits lost are its ones", Shift("<<", Cast(U32, ch), 24),
     ret(U64)),
    ("SL004", "agree-ok", "(uint32_t)char << 16", Shift("<<", Cast(U32, ch), 16), ret(U64)),
    ("SL001", "agree-ok", "(char & 0x1ff) << 23 reaches bit 31 by the char's ones",
     Shift("<<", Bin("&", ch, Lit(0x1FF)), 23), ret(U64)),
    ("SL002", "agree-ok", "h * (uint16_t)char", Bin("*", h, Cast(U16, ch)), ret(U64)),
    # SL004: bits lost only by sign-extended ones; a zero shift count.
    ("SL004", "agree-ok", "sign ones shifted back, cut, shifted out",
     Shift("<<", Cast(U32, Shift(">>", Cast(U64, Shift("<<", BF28, 4)), 31)), 31), ret(U64)),
    ("SL004", "agree-bug", "(w << 20) << 0", Shift("<<", Shift("<<", w, 20), 0), ret(U64)),
    ("SL004", "agree-bug", "(w << 7) | (uint64_t)b: b's bits cover none of the lost ones",
     Bin("|", Shift("<<", w, 7), Cast(U64, b)), ret(U64)),
    # SL006: narrow bit-fields, masks, and zeros where the other operand has none meant.
    ("SL006", "agree-bug", "~ of a 7-bit bit-field", Unary("~", bf7), ret(U64)),
    ("SL006", "agree-bug", "~w & ~b", Bin("&", Unary("~", w), Unary("~", b)), ret(U64)),
    ("SL006", "agree-bug", "(uint64_t)b | ~w", Bin("|", Cast(U64, b), Unary("~", w)), ret(U64)),
    ("SL006", "agree-bug", "r &= 0x1ffffffffULL | ~h: no mask", Bin("|", Lit(0x1FFFFFFFF, "ULL"), Unary("~", h)),
     Sink("compound", U64, "&=", MASK64)),
    ("SL006", "agree-ok", "char & ~bf23: a mask", Bin("&", ch, Unary("~", BF23)), ret(U64)),
    ("SL006", "agree-ok", "(uint64_t)char & ~w", Bin("&", Cast(U64, ch), Unary("~", w)), ret(U64)),
    ("SL006", "agree-ok", "(uint64_t)(h * h) & ~w", Bin("&", Cast(U64, Bin("*", h, h1)), Unary("~", w)), ret(U64)),
    ("SL006", "agree-ok", "~w | (w1 | 0xffffffff00000000)",
     Bin("|", Unary("~", w), Bin("|", W1, Lit(0xFFFFFFFF00000000, "ULL"))), ret(U64)),
    ("SL006", "agree-bug", "(uint64_t)~b & ~b: a cast complement is no mask",
     Bin("&", Cast(U64, Unary("~", b)), Unary("~", c)), ret(U64)),
    # SL001: two sign extensions under each other's mask both show.
    ("SL001", "agree-bug", "(h << 16) & (uint64_t)(h1 << 16)",
     Bin("&", Shift("<<", h, 16), Cast(U64, Shift("<<", h1, 16))), ret(U64)),
    # SL001: the sign of an always-negative operand decides.
    ("SL001", "agree-ok", "~b ^ (b1 << 24)", Bin("^", Unary("~", b), Shift("<<", c, 24)), ret(U64)),
    # The 10,000-program run of 2026-12-04 (seeds 100000..109999): a product by 2**k moves
    # a char's ones as a shift does; a complement behind '^' or '|' is no AND mask.
    ("SL003", "agree-ok", "0x1000000 * (uint32_t)char: its ones leave",
     Bin("*", Lit(0x1000000), Cast(U32, ch)), ret(U64)),
    ("SL003", "agree-bug", "0x100 * (uint32_t)char: its ones stay", Bin("*", Lit(0x100), Cast(U32, ch)), ret(U64)),
    ("SL006", "agree-bug", "r &= ~b ^ 0x8000: no mask", Bin("^", Unary("~", b), Lit(0x8000)),
     Sink("compound", U64, "&=", MASK64)),
]


@needs_gcc
@pytest.mark.parametrize("rule, verdict, what, expr, sink", RULE_AGREEMENTS, ids=[k[2] for k in RULE_AGREEMENTS])
def test_rule_agreements(rule, verdict, what, expr, sink, tmp_path):
    fr = _verdict(expr, sink, tmp_path)
    assert fr.verdict_for(rule) == verdict, fr.describe()


# Reduced disagreements that remain (signlint as of this writing): each is checked
# to disagree as stated; an xfail turns into a pass when signlint is fixed.
KNOWN_RULE_DISAGREEMENTS = [
    # A design decision (rules/SL002.md): a product stored in 32 bits is not reported,
    # although gcc -O2 may exploit its overflow once inlined into 64-bit code.
    ("SL002", "miss", "(uint32_t)(h * h) widened: -O2 sign-extends", Cast(U32, Bin("*", h, h1)), ret(U64)),
    # Masked before (or after) the widening: gcc -O2 assumes the product fits in int.
    ("SL002", "miss", "(h * h) & 0x7fffffff: -O2 assumes bit 31 clear", Bin("&", Bin("*", h, h1), Lit(0x7FFFFFFF)),
     ret(U64)),
    ("SL002", "miss", "0x80000000ULL & (h * 0x10000): -O2 assumes bit 31 clear",
     Bin("&", Lit(0x80000000, "ULL"), Bin("*", h, Lit(0x10000))), ret(U64)),
    # A char converted to a wider signed type is read as a number (rules/SL003.md).
    ("SL003", "miss", "int64_t r = char", ch, ret(I64)),
]


@needs_gcc
@pytest.mark.parametrize("rule, verdict, what, expr, sink", KNOWN_RULE_DISAGREEMENTS,
                         ids=[k[2] for k in KNOWN_RULE_DISAGREEMENTS])
def test_known_rule_disagreements(rule, verdict, what, expr, sink, tmp_path):
    fr = _verdict(expr, sink, tmp_path)
    got = fr.verdict_for(rule)
    want_shows = verdict == "miss"
    assert fr.shows[rule] == want_shows, fr.describe()
    if got == verdict:
        pytest.xfail(f"signlint: {rule} {verdict} ({what})")


@needs_gcc
def test_vectors_find_the_wrong_input():
    # `(b0 ^ b1) << 24` is wrong only when b0 and b1 differ in bit 7: the diagonal misses it.
    fn = make_vectors(Function("f0", Shift("<<", Bin("^", b, c), 24), ret(U64)), random.Random(3))
    ideal, cv, _, _ = fn.evaluators()
    assert any(ideal(e) != cv(e) for e in fn.vectors)


def _sext(v, count):
    """`(uint64_t)(v << count)`: a late cast, the sign extension under test."""
    return Cast(U64, Shift("<<", v, count))


# Reduced false positives the oracle found: signlint flagged them, yet no input gives
# a wrong value (checked exhaustively for the u8/u16 inputs). The sign-extended ones
# are moved by a shift and then cut off, or hidden by a constant OR-ed in elsewhere.
# signlint is silent on all of them now (SL005 may still report the shift itself).
KNOWN_FALSE_POSITIVES = [
    ("'>>' then (uint8_t)", Cast(U8, Shift(">>", _sext(b, 24), 20)), ret(U64)),
    ("'>>' then '&' with a u8", Bin("&", c, Shift(">>", _sext(b, 24), 18)), ret(U64)),
    ("'>>' then (uint32_t) then '<<'", Shift("<<", Cast(U32, Shift(">>", _sext(b, 24), 30)), 30), ret(U64)),
    ("'>>' then '<<' into uint32_t", Shift("<<", Shift(">>", _sext(h, 16), 3), 14), ret(U32)),
    ("'<<' to bit 63, then masked", Bin("&", Shift("<<", _sext(b, 24), 31), Lit(0x7FFFFFFFFFFFFFFF, "ULL")), ret(U64)),
    ("ones OR-ed in another operand", Bin("|", Bin("|", c, Lit(0xFFFFFFFF80000000, "ULL")), Shift("<<", h, 16)),
     ret(U64)),
]


@needs_gcc
@pytest.mark.parametrize("what, expr, sink", KNOWN_FALSE_POSITIVES, ids=[k[0] for k in KNOWN_FALSE_POSITIVES])
def test_known_false_positives(what, expr, sink, tmp_path):
    fn = make_vectors(Function("f0", expr, sink), random.Random(1), search=2000)
    fr = check_program(assemble(1, [fn]), str(tmp_path)).functions[0]
    assert not fr.harness and not fr.wrong, fr.describe()
    assert not fr.findings.get("SL001"), fr.describe()


# A fixed batch of random programs: the seeds of 0..89 (8 functions each, all rules)
# on which signlint agrees with execution as of this writing, about 15 s on 2 cores.
# The others disagree (scripts/oracle.py --count 1 --seed S shows one); their
# reduced patterns are in KNOWN_RULE_DISAGREEMENTS (seed 8: a product widened, then
# masked to bit 31, which gcc -O2 assumes clear).
FAILING_SEEDS = {8}
BATCH = [s for s in range(90) if s not in FAILING_SEEDS]


@needs_gcc
def test_batch_of_random_programs_agrees():
    jobs = min(2, os.cpu_count() or 1)
    seeds = list(BATCH)
    bad, harness, total = [], [], 0
    for res in run_seeds(seeds, 8, jobs):
        harness += [f"seed {res.seed}: {e}" for e in res.harness_errors]
        bad += [f.describe() for f in res.disagreements]
        total += len(res.functions)
    assert total == 8 * len(seeds)
    assert not harness, "\n".join(harness[:5])
    assert not bad, "\n\n".join(bad[:5])
