"""An expression nested deeper than signlint's walk allows (issue 14): that expression
is left out and named, the rest of the file is analysed, and the run is incomplete
(exit 3 in check, the summary line in kbuild mode, the same from the cache).

The walk's recursion limit (limits.DEEP_RECURSION_LIMIT, 50,000) is lowered here
to Python's default, so that a 3,000-term `&&` is too deep; tests/test_fuzz.py runs
the 100,000-term one with the real limit."""

from __future__ import annotations

import pytest
from conftest import analyze

from signlint.checks import DEFAULT_RULES
from signlint.front import limits
from signlint.front.files import discover
from signlint.run import kbuild
from signlint.run.cache import Cache
from signlint.run.engine import Engine, Options
from signlint.run.schedule import RunOptions, run

TOO_DEEP = ("unsigned long outside(unsigned char b) { return b << 24; }\n"
            "unsigned long f(unsigned char b, int c) { if (" + " && ".join(["c"] * 3000)
            + ") return b << 24; return 0; }\n"
            "unsigned long after(unsigned char b) { return b << 24; }\n")


@pytest.fixture
def low_limit(monkeypatch):
    monkeypatch.setattr(limits, "DEEP_RECURSION_LIMIT", 1000)


def test_the_expression_too_deep_is_left_out_and_named_the_rest_is_reported(tmp_path, low_limit):
    path = tmp_path / "deep.c"
    path.write_text(TOO_DEEP)
    report = analyze([path])
    assert sorted(f.position.line for f in report.findings) == [1, 3]
    assert report.incomplete and report.partly_analysed == [str(path)]
    assert any(w.startswith(f"{path}:2: not analysed: nested too deeply") for w in report.warnings), report.warnings


def test_the_same_expression_with_the_real_limit_is_analysed(tmp_path):
    path = tmp_path / "deep.c"
    path.write_text(TOO_DEEP)
    report = analyze([path])
    assert sorted(f.position.line for f in report.findings) == [1, 2, 3]
    assert not report.incomplete


def test_a_cached_result_is_as_incomplete_as_the_first(tmp_path, low_limit):
    path = tmp_path / "deep.c"
    path.write_text(TOO_DEEP)
    rules = frozenset(DEFAULT_RULES)
    runs = [run(Engine(Options(rules)), discover([str(path)]), RunOptions(cache=Cache(str(tmp_path / "cache"), rules)))
            for _ in range(2)]
    assert [r.cached for r in runs] == [0, 1]
    assert runs[1].partly_analysed == runs[0].partly_analysed == [str(path)]
    assert runs[1].warnings == runs[0].warnings


def test_kbuild_mode_says_so_and_lets_make_go_on(tmp_path, low_limit, monkeypatch, capsys):
    (tmp_path / "deep.c").write_text(TOO_DEEP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert kbuild.main(["-D__KERNEL__", "deep.c"]) == 0
    err = capsys.readouterr().err
    assert "deep.c:2: not analysed: nested too deeply for signlint's walk" in err
    assert ("signlint: warning: analysis incomplete, findings may be missing: 1 file(s) partly analysed (deep.c)"
            in err.splitlines())
    assert "deep.c:1:" in err and "deep.c:3:" in err

