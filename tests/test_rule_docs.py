"""Every rule has a document with the same sections; its examples run as tests."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, analyze

from signlint.checks import CODES, DEFAULT_RULES, RULES

SECTIONS = ["What it flags", "Why it is a bug", "Example", "Fix", "Options", "Limits"]
BLOCK = re.compile(r"^```c (bad|good)\n(.*?)^```", re.S | re.M)


def document(code):
    return (ROOT / "rules" / f"{code}.md").read_text()


@pytest.mark.parametrize("code", sorted(RULES))
def test_document_has_the_standard_sections(code):
    text = document(code)
    assert text.startswith(f"# {code}: {RULES[code].NAME}\n")
    assert re.findall(r"^## (.+)$", text, re.M) == SECTIONS


EXAMPLES = [(code, n, kind, body) for code in sorted(RULES)
            for n, (kind, body) in enumerate(BLOCK.findall(document(code)))]


@pytest.mark.parametrize("code, n, kind, body", EXAMPLES, ids=[f"{c}-{n}-{k}" for c, n, k, _ in EXAMPLES])
def test_document_examples(tmp_path, code, n, kind, body):
    path = tmp_path / f"example{n}.c"
    path.write_text(body)
    report = analyze([path], rules={code})
    assert not report.warnings  # the example is complete C
    assert [f.rule for f in report.findings] == ([code] if kind == "bad" else [])


def test_the_names_of_the_rules_agree_with_their_modules():
    """CODES and DEFAULT_RULES are written out so that naming a rule imports no check."""
    assert CODES == tuple(RULES) == tuple(sorted(RULES))
    assert {code for code, module in RULES.items() if module.DEFAULT} == DEFAULT_RULES
    assert all(code == module.CODE for code, module in RULES.items())
    modules = sorted(p.stem.upper() for p in (ROOT / "signlint" / "checks").glob("sl[0-9][0-9][0-9].py"))
    assert modules == list(CODES)  # a check module whose code CODES lacks would never run


def test_every_rule_has_a_bad_and_a_good_example():
    kinds = {(code, kind) for code, _, kind, _ in EXAMPLES}
    assert kinds == {(code, kind) for code in RULES for kind in ("bad", "good")}


def test_wheel_carries_the_rule_documents(tmp_path):
    """`signlint rule` must work after a non-editable install: the wheel holds rules/."""
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip().splitlines()[-1:]}")
    [wheel] = tmp_path.glob("signlint-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        for code in RULES:
            assert zf.read(f"signlint/_rules/{code}.md").decode() == document(code)
