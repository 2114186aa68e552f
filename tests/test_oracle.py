"""The execution oracle (oracle/): its evaluators on hand-written expressions whose
values are known (docs: promotion-facts.md), the generator's domain, and a fixed
batch of random programs on which signlint must agree with gcc."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oracle.gen import assemble, generate, make_vectors, render_expr  # noqa: E402
from oracle.model import (  # noqa: E402
    I64,
    INT,
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
b, c, h, w, base2 = Var(B), Var(C), Var(H), Var(W), Var(BASE2)


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


def test_domain_checks():
    assert problems(Shift("<<", b, 25))  # 8 bits shifted by 25 lose bit 32
    assert problems(Shift(">>", Shift("<<", b, 24), 8))  # arithmetic shift of a negative int
    assert problems(Shift("<<", Shift("<<", b, 24), 0))  # a left shift of a negative int
    assert problems(Bin("+", Shift("<<", b, 23), Shift("<<", c, 23)))  # int overflow
    assert problems(Shift("<<", w, 1))  # a uint32_t shift that loses bits
    assert not problems(Bin("+", Shift("<<", b, 24), Shift("<<", c, 16)))  # disjoint bits: no carry
    assert not problems(Shift("<<", Var(Slot("w1", "param", U16, 16)), 16))
    ub: set = set()
    c_fn(Bin("+", Shift("<<", b, 23), Shift("<<", c, 23)), ub=ub)({"b0": 0xFF, "b1": 0xFF})
    assert {k for k, _ in ub} == {"add"}


@pytest.mark.parametrize("seed", range(30))
def test_generator_stays_in_the_domain(seed):
    prog = generate(seed, 6)
    for fn, (first, last) in zip(prog.functions, prog.ranges, strict=True):
        assert not problems(fn.expr)
        text = render_expr(fn.expr, fn.by_pointer)
        assert "*" not in text and "~" not in text and "char" not in text
        assert all(n.count <= 31 for n in walk(fn.expr) if isinstance(n, Shift))
        assert fn.vectors
        lines = prog.source.splitlines()
        assert lines[first - 1].split("(")[0].endswith(" " + fn.name) and lines[last - 1] == "}"
        ub: set = set()
        f = c_fn(fn.expr, ub=ub)
        for env in fn.vectors:
            f(env)
        assert {k for k, _ in ub} <= {"shift"}  # only an int shift into bit 31


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
            assert fr.verdict == "agree-bug", fr.describe()  # signlint flags every wrong one
    # -fsanitize=shift: every int shift into bit 31 is reported, nothing else.
    for fr in res.functions:
        assert bool(fr.ubsan) == fr.model_shift_ub, fr.describe()


@needs_gcc
def test_vectors_find_the_wrong_input():
    # `(b0 ^ b1) << 24` is wrong only when b0 and b1 differ in bit 7: the diagonal misses it.
    fn = make_vectors(Function("f0", Shift("<<", Bin("^", b, c), 24), ret(U64)), random.Random(3))
    ideal, cv, _, _ = fn.evaluators()
    assert any(ideal(e) != cv(e) for e in fn.vectors)


def _sext(v, count):
    """`(uint64_t)(v << count)`: a late cast, the sign extension under test."""
    return Cast(U64, Shift("<<", v, count))


# Reduced false positives the oracle found: signlint flags them, yet no input gives
# a wrong value (checked exhaustively for the u8/u16 inputs). The sign-extended ones
# are moved by a shift and then cut off, or hidden by a constant OR-ed in elsewhere.
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
    if fr.flagged:
        pytest.xfail(f"signlint still flags a sign extension that cannot be seen ({what})")


# A fixed batch of random programs (seeds 0..119, 8 functions each: about 12 s on 2
# cores). With signlint as of this writing every seed here agrees; larger runs
# (scripts/oracle.py) still find the false positives above, e.g. seeds 130, 100016,
# 100043, 100225, 101936.
BATCH = range(120)


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
