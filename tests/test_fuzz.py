"""A short seeded batch of scripts/fuzz.py's inputs (issue 11, item 9): no traceback,
no hang, no status outside 0-3, and reports that parse."""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys

import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("fuzz", ROOT / "scripts" / "fuzz.py")
fuzz = importlib.util.module_from_spec(spec)
sys.modules["fuzz"] = fuzz  # its dataclasses look their module up
spec.loader.exec_module(fuzz)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_seeded_batch_of_mutated_inputs_fails_cleanly(seed):
    rng = random.Random(seed)
    batch = [(rng.choice(fuzz.GENERATORS)(rng), fuzz.FORMATS[i % 3]) for i in range(8)]
    outcomes = [fuzz.run_one(case, format_, timeout=120) for case, format_ in batch]
    assert [o.problem for o in outcomes if o.problem] == [], fuzz.report(outcomes)


@pytest.mark.parametrize("case", [
    fuzz.deep_parentheses(random.Random(0)),  # overflowed libclang's 8 MB parse thread: SIGSEGV
    fuzz.Case("include-/dev/zero", {"input.c": b'#include "/dev/zero"\nint x;\n'}),  # grew until OOM-killed
    fuzz.Case("include-itself", {"input.c": b'#include "input.c"\nint x;\n'}),
])
def test_inputs_that_once_killed_signlint_now_fail_the_run_with_status_3(case):
    outcome = fuzz.run_one(case, "json", timeout=120)
    assert outcome.problem == "" and outcome.status == 3


# Issue 14: deeply nested and huge inputs, each with a finding before the deep part.
# The rest (depths of 100,000, the 1 MB macro, the 50 MB file) are `scripts/fuzz.py --deep`.
DEEP = [fuzz.nested(shape, depth) for shape in fuzz.SHAPES for depth in (100, 10_000)] + [
    fuzz.nested("and-chain", 100_000), fuzz.macro_expansion(2**15), fuzz.switch(100_000)]
# Exit 3 where a part is left out, and said to be: clang stops at 2,048 nested brackets,
# and a 100,000-term `&&` is deeper than signlint's walk allows (limits.DEEP_RECURSION_LIMIT).
LEFT_OUT = {"parentheses-10000": "bracket nesting level exceeded", "and-chain-100000": "partly analysed"}


@pytest.mark.parametrize("case", DEEP, ids=[case.name for case in DEEP])
def test_a_deep_input_ends_with_its_findings_or_names_the_part_left_out(case):
    outcome = fuzz.run_one(case, "json", timeout=300)
    assert fuzz.deep_problem(outcome) == "", outcome.stderr
    if case.name in LEFT_OUT:
        assert outcome.status == 3 and LEFT_OUT[case.name] in outcome.stderr
        assert [f["line"] for f in outcome.findings] == [1]  # the finding outside the deep part
    else:
        assert outcome.status == 1 and len(outcome.findings) == 2


def test_a_parse_stopped_by_the_memory_limit_says_so(tmp_path):
    (tmp_path / "input.c").write_text('#include "/dev/zero"\nint x;\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT), SIGNLINT_MAX_MEMORY_MB="2000")
    done = subprocess.run([sys.executable, "-m", "signlint", "check", "--no-cache", "input.c"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert "could not parse" in done.stderr and "near the memory limit of 2000 MB" in done.stderr
