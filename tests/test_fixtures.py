"""Every fixture's findings are exactly the ones its inline comments expect."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES, analyze

EXPECT = re.compile(r"//\s*expect(-note)?:\s*(SL\d{3}(?:\s*,\s*SL\d{3})*)")
ARGS = re.compile(r"//\s*signlint-args:\s*(.*)")

FILES = sorted(FIXTURES.glob("sl*/*.c"))


def expectations(path):
    findings, notes, args = set(), set(), []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if number <= 5 and (m := ARGS.search(line)):
            args = m.group(1).split()
        for m in EXPECT.finditer(line):
            for rule in re.split(r"\s*,\s*", m.group(2)):
                (notes if m.group(1) else findings).add((number, rule))
    return findings, notes, args


def test_there_are_positive_and_silent_fixtures():
    positive = [p for p in FILES if expectations(p)[0]]
    silent = [p for p in FILES if p.name.startswith("silent_")]
    assert len(positive) >= 15 and len(silent) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_findings_match_expectations(path):
    want, want_notes, args = expectations(path)
    rules = {rule for _, rule in want | want_notes} or {path.parent.name.upper()}
    report = analyze([path], args, rules)
    got = {(f.position.line, f.rule) for f in report.findings if f.position.path == str(path)}
    assert got == want
    got_notes = {(n.position.line, f.rule) for f in report.findings for n in f.notes if "expansion" in n.message}
    assert got_notes == want_notes
    if path.name.startswith("silent_"):
        assert not want and not report.findings
