"""Proof by execution: each runnable positive fixture, compiled with gcc, prints a
sign-extended value; after `signlint check --fix` it prints the intended one."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import FIXTURES, run_cli
from test_fixtures import expectations

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is needed to run the fixtures")

RUNNABLE = sorted(p for p in FIXTURES.glob("sl*/*.c") if "int main(" in p.read_text())


def build_and_run(source, workdir):
    binary = workdir / (source.stem + ".bin")
    subprocess.run(["gcc", "-O0", "-w", str(source), "-o", str(binary)], check=True)
    return subprocess.run([str(binary)], capture_output=True, text=True, timeout=30)


def test_most_positive_fixtures_are_runnable():
    assert sum(1 for p in RUNNABLE if expectations(p)[0]) >= 15


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: p.name)
def test_bug_shows_at_run_time_and_the_fix_removes_it(path, tmp_path):
    want, _, args = expectations(path)
    work = tmp_path / path.parent.name
    shutil.copytree(path.parent, work)
    shutil.copy(FIXTURES / "check.h", tmp_path)  # the fixtures include "../check.h"
    copy = work / path.name

    before = build_and_run(copy, tmp_path)
    if not want:
        assert before.returncode == 0, before.stdout  # silent fixtures are correct code
        return
    assert before.returncode != 0, "the buggy program should print a wrong value"
    assert "FAIL" in before.stdout
    assert "0xffffffff" in before.stdout or "= 0x0000000000000000 want 0x0000000000000001" in before.stdout

    rules = ",".join(sorted({rule for _, rule in want}))
    fixed = run_cli("check", "--select", rules, "--fix", "--unsafe-fixes", str(copy), "--", *args)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr  # every finding fixed, none left
    assert copy.read_text() != path.read_text()

    after = build_and_run(copy, tmp_path)
    assert after.returncode == 0, after.stdout
