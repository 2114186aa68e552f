"""A short seeded batch of scripts/fuzz.py's inputs (issue 11, item 9): no traceback,
no hang, no status outside 0-3, and reports that parse."""

from __future__ import annotations

import importlib.util
import random
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
