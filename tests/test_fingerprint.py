"""Fingerprints survive line shifts and tell repeated expressions apart."""

from __future__ import annotations

from conftest import PRELUDE, analyze

from signlint.report.fingerprint import fingerprints

CODE = """u64 a(u8 b) { return b << 24; }
u64 c(u8 b) { u64 x = b << 24; x |= b << 24; return x; }
"""


def prints(tmp_path, code):
    path = tmp_path / "f.c"
    path.write_text(code)
    findings = analyze([path]).findings
    table = fingerprints(findings, str(tmp_path))
    return [table[f.key] for f in findings]


def test_unchanged_by_lines_added_above(tmp_path):
    before = prints(tmp_path, PRELUDE + CODE)
    after = prints(tmp_path, PRELUDE + "\n/* a comment */\n\n" + CODE)
    assert len(before) == 3 and before == after


def test_distinct_for_same_text_in_one_function_and_across_functions(tmp_path):
    values = prints(tmp_path, PRELUDE + CODE)
    assert len(set(values)) == 3
