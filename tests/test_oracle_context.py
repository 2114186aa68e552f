"""The execution oracle on code around the expression (oracle/context.py): guards,
switch cases, shift counts bounded by them, loop counters, locals bounded by an
assignment, helpers. Hand-written functions whose verdicts are known, checked by
execution, and a fixed seeded batch on which signlint must agree with gcc."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oracle.context import (  # noqa: E402
    LOOP_BUF,
    ContextFunction,
    Count,
    Elem,
    Guard,
    VarShift,
    build,
    generate_context,
)
from oracle.gen import assemble, make_vectors  # noqa: E402
from oracle.model import (  # noqa: E402
    CHAR,
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
    Lit,
    Shift,
    Sink,
    Slot,
    Unary,
    Var,
    problems,
)
from oracle.run import check_program, have_gcc, run_seeds  # noqa: E402

needs_gcc = pytest.mark.skipif(not have_gcc(), reason="gcc is needed to run the generated programs")

B = Slot("b0", "param", U8, 8)
H = Slot("h0", "param", U16, 16)
N = Slot("n0", "param", INT, 32)
M = Slot("m0", "param", U16, 16)
CH = Slot("ch0", "param", CHAR, 8)
H1 = Slot("h1", "param", U16, 16)
BF16 = Slot("f0", "field", CType("unsigned long", 64, False), 16, bitfield=True)
b, h = Var(B), Var(H)
RET64 = Sink("return", U64)


def _shift_n(a, top, scale=1, offset=0, var="n0"):
    return VarShift("<<", a, top, var, scale, offset)


def _loop(a, stop, scale=8, op="|="):
    return build("f0", _shift_n(a, scale * (stop - 1), scale, 0, "i"), Sink("compound", U64, op, 0), shape="loop",
                 count=Count("loop", start=0, stop=stop))


# (what, function, the SL001 verdict execution and signlint must agree on)
CASES = [
    ("b <= 0x7f: b << 24 is safe", build("f0", Shift("<<", b, 24), RET64, [Guard("b0", "le", 0x7F)]), "agree-ok"),
    ("h <= 0xff on a u16 keeps h << 24 wrong at 0x80",
     build("f0", Shift("<<", h, 24), RET64, [Guard("h0", "le", 0xFF)]), "agree-bug"),
    ("goto out when h >= 0x8000", build("f0", Shift("<<", h, 16), Sink("init", U64), [Guard("h0", "lt", 0x8000)],
                                        shape="goto"), "agree-ok"),
    ("then branch h <= 0x7fff", build("f0", Shift("<<", h, 16), RET64, [Guard("h0", "le", 0x7FFF)], shape="then"),
     "agree-ok"),
    ("else branch lets h <= 0x8000 through", build("f0", Shift("<<", h, 16), RET64, [Guard("h0", "le", 0x8000)],
                                                   shape="else"), "agree-bug"),
    ("h >> 7 == 0", build("f0", Shift("<<", h, 24), RET64, [Guard("h0", "shr", 7)]), "agree-ok"),
    ("h & 0xff80 == 0", build("f0", Shift("<<", h, 24), RET64, [Guard("h0", "mask", 0xFF80)]), "agree-ok"),
    ("h & 0x80 == 0 does not bound h", build("f0", Shift("<<", h, 16), RET64, [Guard("h0", "mask", 0x80)]),
     "agree-bug"),
    ("a lower bound only", build("f0", Shift("<<", b, 24), RET64, [Guard("b0", "ge", 0x10)]), "agree-bug"),
    ("switch b: case 0 ... 0x7f", build("f0", Shift("<<", b, 24), RET64, [Guard("b0", "cases", labels=((0, 0x7F),))],
                                        shape="switch"), "agree-ok"),
    ("switch b: case 0x80", build("f0", Shift("<<", b, 24), RET64,
                                  [Guard("b0", "cases", labels=((1, 1), (0x80, 0x80)))], shape="switch", spelling=1),
     "agree-bug"),
    ("switch n: case 0, 8, 16", build("f0", _shift_n(b, 16), RET64,
                                      [Guard("n0", "cases", labels=((0, 0), (8, 8), (16, 16)))], shape="switch",
                                      extra=(N,), count=Count("param", "n0")), "agree-ok"),
    ("switch n: case 0, 8, 16, 24", build("f0", _shift_n(b, 24), RET64,
                                          [Guard("n0", "cases", labels=((0, 0), (8, 8), (16, 16), (24, 24)))],
                                          shape="switch", extra=(N,), count=Count("param", "n0")), "agree-bug"),
    ("switch n: case 1 ... 7, b << (n + 16)", build("f0", _shift_n(b, 23, 1, 16), RET64,
                                                    [Guard("n0", "cases", labels=((1, 7),))], shape="switch",
                                                    spelling=2, extra=(N,), count=Count("param", "n0")), "agree-ok"),
    ("n < 0 || n > 23: b << n", build("f0", _shift_n(b, 23), RET64, [Guard("n0", "in", 0, 23)], extra=(N,),
                                      count=Count("param", "n0")), "agree-ok"),
    ("n < 0 || n > 24: b << n", build("f0", _shift_n(b, 24), RET64, [Guard("n0", "in", 0, 24)], extra=(N,),
                                      count=Count("param", "n0")), "agree-bug"),
    ("n >= 8u: b << (n + 16)", build("f0", _shift_n(b, 23, 1, 16), RET64, [Guard("n0", "uge", 8)], extra=(N,),
                                     count=Count("param", "n0")), "agree-ok"),
    ("loop i < 4: buf[i] << (8 * i)", _loop(Elem(LOOP_BUF), 4), "agree-bug"),
    ("loop i < 3: buf[i] << (8 * i)", _loop(Elem(LOOP_BUF), 3), "agree-ok"),
    ("loop i < 25: b << i, +=", _loop(b, 25, 1, "+="), "agree-bug"),
    ("loop i < 2: h << (8 * i)", _loop(h, 2), "agree-ok"),
    ("k = m0 & 7: b << (k + 16)", build("f0", _shift_n(b, 23, 1, 16, "k"), RET64, shape="local", extra=(M,),
                                        count=Count("local", "m0", mask=7)), "agree-ok"),
    ("k = m0 & 7: b << (k + 17)", build("f0", _shift_n(b, 24, 1, 17, "k"), RET64, shape="local", extra=(M,),
                                        count=Count("local", "m0", mask=7)), "agree-bug"),
    ("helper returning b << 24, widened", build("f0", Shift("<<", b, 24), Sink("init", U64), shape="helper"),
     "agree-bug"),
    ("helper with b <= 0x7f inside", build("f0", Shift("<<", b, 24), Sink("init", U64), [Guard("b0", "le", 0x7F)],
                                           shape="helper"), "agree-ok"),
    ("two guards, &&", build("f0", Bin("|", Shift("<<", b, 24), Shift("<<", h, 8)), RET64,
                             [Guard("b0", "le", 0x7F), Guard("h0", "le", 0xFF)], shape="then"), "agree-ok"),
    ("int t = b << 24, widened", build("f0", Shift("<<", b, 24), Sink("init", U64), shape="stored"), "agree-bug"),
    ("int t; t = b << 24, compared with a u64", build("f0", Shift("<<", b, 24), Sink("compare", U64, k=0x80000000),
                                                      shape="stored", spelling=1), "agree-bug"),
    ("int t = b << 24 after b <= 0x7f", build("f0", Shift("<<", b, 24), RET64, [Guard("b0", "le", 0x7F)],
                                             shape="stored"), "agree-ok"),
    ("int t = b << 23", build("f0", Shift("<<", b, 23), RET64, shape="stored"), "agree-ok"),
]


def _check(fn: ContextFunction, tmp_path, search=600):
    fn = make_vectors(fn, random.Random(1), search=search)
    res = check_program(assemble(1, [fn]), str(tmp_path))
    assert not res.errors, res.errors
    fr = res.functions[0]
    assert not fr.harness, fr.describe()
    return fr


@pytest.mark.parametrize("what, fn, verdict", CASES, ids=[c[0] for c in CASES])
def test_hand_written_cases_are_in_the_domain(what, fn, verdict):
    assert not fn.domain_problems(), fn.domain_problems()
    assert fn.vectors == []


@needs_gcc
@pytest.mark.parametrize("what, fn, verdict", CASES, ids=[c[0] for c in CASES])
def test_hand_written_cases(what, fn, verdict, tmp_path):
    fr = _check(fn, tmp_path)
    assert bool(fr.wrong) == (verdict == "agree-bug"), fr.describe()
    assert fr.verdict_for("SL001") == verdict, fr.describe()
    # Inputs that pass the guards and inputs that fail them (those give 0) are both fed.
    reach = fn._reach()
    assert any(reach(e) for e in fr.fn.vectors) and (not fn.guards or not all(reach(e) for e in fr.fn.vectors))


def test_unguarded_h_shift_24_is_outside_the_domain():
    # Without its guard `h << 24` loses bits of a u16: the guard is what makes it a test.
    assert problems(Shift("<<", h, 24))
    assert not build("f0", Shift("<<", h, 24), RET64, [Guard("h0", "le", 0xFF)]).domain_problems()


def test_evaluators_follow_the_guard_and_the_loop():
    fn = build("f0", Shift("<<", h, 24), RET64, [Guard("h0", "le", 0xFF)])
    ideal, c, _, ub = fn.evaluators()
    assert (ideal({"h0": 0x80}), c({"h0": 0x80})) == (0x80000000, 0xFFFFFFFF80000000)
    ub.clear()
    assert (ideal({"h0": 0x100}), c({"h0": 0x100})) == (0, 0) and not ub  # stopped by the guard: not evaluated
    loop = _loop(Elem(LOOP_BUF), 4)
    ideal, c, _, _ = loop.evaluators()
    env = {"buf[0]": 1, "buf[1]": 2, "buf[2]": 3, "buf[3]": 0x80}
    assert ideal(env) == 0x80030201
    assert c(env) == 0xFFFFFFFF80030201
    assert [s.key for s in loop.slots] == ["buf[0]", "buf[1]", "buf[2]", "buf[3]"]
    assert loop.rules == {"SL001"}
    assert _loop(Elem(LOOP_BUF), 3).rules == set()


def test_rendering():
    fn = build("f0", _shift_n(b, 23, 1, 16), RET64, [Guard("n0", "in", 1, 7)], extra=(N,),
               count=Count("param", "n0"), shape="goto")
    text = assemble(1, [make_vectors(fn, random.Random(1))]).function_text(0)
    assert "NOIPA uint64_t f0(uint8_t b0, int n0)" in text
    assert "if (n0 < 1 || n0 > 7) goto out;" in text and "r = b0 << (n0 + 16);" in text and "out:" in text
    sw = build("f0", Shift("<<", b, 24), RET64, [Guard("b0", "cases", labels=((1, 7), (0x10, 0x10)))], shape="switch")
    text = assemble(1, [make_vectors(sw, random.Random(1))]).function_text(0)
    assert "case 1 ... 7:" in text and "case 0x10:" in text and "default:" in text


def test_generation_is_reproducible_and_in_the_domain():
    a, b2 = generate_context(11, 6), generate_context(11, 6)
    assert a.source == b2.source
    assert generate_context(12, 6).source != a.source
    for fn in a.functions:
        if isinstance(fn, ContextFunction):
            assert not fn.domain_problems()


# Reduced disagreements (signlint as of this writing), each checked to disagree as
# stated: an xfail turns into a pass when signlint is fixed.
# (rule, verdict, what, function)
# Disagreements the oracle found in signlint's context reasoning, fixed since: they
# must now agree with execution.
FIXED = [
    ("SL001", "false-positive", "an explicit (unsigned int)n >= 8 bounds n",
     build("f0", _shift_n(b, 23, 1, 16), RET64, [Guard("n0", "uge", 8, spelling=1)], extra=(N,),
           count=Count("param", "n0"))),
    ("SL001", "miss", "a helper's int shift widened to int64_t",
     build("f0", Shift("<<", b, 24), Sink("init", I64), shape="helper")),
    ("SL001", "miss", "0xff - h << 24 under h <= 0x80 (a guarded subtrahend)",
     build("f0", Shift("<<", Bin("-", Lit(0xFF), h), 24), RET64, [Guard("h0", "le", 0x80)])),
    ("SL001", "miss", "7 - h << 29 under h >> 3 == 0",
     build("f0", Cast(U64, Shift("<<", Bin("-", Lit(7), h), 29)), RET64, [Guard("h0", "shr", 3)])),
    ("SL001", "false-positive", "a caller's guard does not reach a helper's summary",
     build("f0", Shift("<<", b, 24), Sink("init", U64), [Guard("b0", "le", 0x7F)], shape="helper", spelling=1)),
    ("SL006", "miss", "a helper returning ~ of a bit-field",
     build("f0", Unary("~", Var(BF16)), Sink("return", U64), shape="helper")),
    ("SL002", "miss", "a helper returning h * h",
     build("f0", Bin("*", h, Var(H1)), Sink("return", U64), shape="helper")),
    ("SL002", "miss", "int t = h * h, widened", build("f0", Bin("*", h, Var(H1)), RET64, shape="stored")),
    ("SL006", "miss", "int t = ~b, widened", build("f0", Unary("~", b), RET64, shape="stored")),
]


@needs_gcc
@pytest.mark.parametrize("rule, verdict, what, fn", FIXED, ids=[k[2] for k in FIXED])
def test_fixed_context_disagreements(rule, verdict, what, fn, tmp_path):
    fr = _check(fn, tmp_path, search=2000)
    assert fr.shows[rule] == (verdict == "miss"), fr.describe()
    assert fr.verdict_for(rule) == ("agree-bug" if verdict == "miss" else "agree-ok"), fr.describe()


KNOWN = [
    ("SL003", "miss", "a lower bound on h makes char + h non-negative",
     build("f0", Bin("+", Var(CH), h), Sink("return", U32),
           [Guard("h0", "ge", 0x800)])),
    # By design (rules/SL003.md): a char kept in an int, or returned as one by a helper, is a number.
    ("SL003", "miss", "int t = c ? b : char, widened",
     build("f0", Cond(Slot("c0", "cond", INT, 1), b, Var(CH)), RET64, shape="stored")),
    ("SL003", "miss", "a helper returning char + b, into an int64_t",
     build("f0", Bin("+", Var(CH), b), Sink("return", I64), shape="helper")),
    # A helper's shift is judged on its own parameters (any caller may pass 0x80), not on
    # the guards of the one caller a generated program has.
    ("SL005", "false-positive", "a helper's b << 24 under its caller's b <= 0x7f",
     build("f0", Shift("<<", b, 24), Sink("init", U64), [Guard("b0", "le", 0x7F)], shape="helper", spelling=1)),
]


@needs_gcc
@pytest.mark.parametrize("rule, verdict, what, fn", KNOWN, ids=[k[2] for k in KNOWN])
def test_known_context_disagreements(rule, verdict, what, fn, tmp_path):
    fr = _check(fn, tmp_path, search=2000)
    assert fr.shows[rule] == (verdict == "miss"), fr.describe()
    if fr.verdict_for(rule) == verdict:
        pytest.xfail(f"signlint: {rule} {verdict} ({what})")


# A fixed batch: generate_context() programs of these seeds (8 functions each, all
# rules) on which signlint agrees with execution (about 15 s on 2 cores). The others
# disagree (scripts/oracle.py --context --count 1 --seed S shows one): seed 25 is a
# helper's shift judged on its own parameters (SL005, in KNOWN), 35 a helper's char
# sum read as a number (SL003, in KNOWN), 36 a loop whose OR over i sets bit 31 for
# i == 3 anyway, hiding the char's sign one that signlint reports for i == 0 (SL003).
FAILING_SEEDS = {25, 35, 36}
BATCH = [s for s in range(40) if s not in FAILING_SEEDS]


@needs_gcc
def test_batch_of_context_programs_agrees():
    jobs = min(2, os.cpu_count() or 1)
    bad, harness, total = [], [], 0
    for res in run_seeds(BATCH, 8, jobs, context=1.0):
        harness += [f"seed {res.seed}: {e}" for e in res.harness_errors]
        bad += [f.describe() for f in res.disagreements]
        total += len(res.functions)
    assert total == 8 * len(BATCH)
    assert not harness, "\n".join(harness[:5])
    assert not bad, "\n\n".join(bad[:5])


def test_cast_under_guard_keeps_its_type():
    # The narrowed slot changes only the ranges, never the C types.
    fn = build("f0", Cast(U64, Shift("<<", h, 24)), RET64, [Guard("h0", "le", 0x7F)])
    assert fn.expr.type == U64 and fn.rules == set()
