"""Shared helpers: run signlint on a C snippet or a file, the way a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signlint.checks import DEFAULT_RULES
from signlint.front.files import discover
from signlint.run.engine import Engine, Options
from signlint.run.schedule import run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# Kernel-style names every snippet may use.
PRELUDE = """#include <stdint.h>
typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32; typedef uint64_t u64;
typedef int64_t s64; typedef int8_t s8;
"""


def analyze(paths, args=(), rules=DEFAULT_RULES):
    targets = discover([str(p) for p in paths])
    report = run(Engine(Options(frozenset(rules), list(args))), targets)
    assert not report.internal_errors, report.internal_errors  # a crash must not pass for silence
    return report


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Tests must not fill the user's ~/.cache/signlint (child processes inherit this)."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def lint(tmp_path):
    """lint(code, *args) -> [(line, rule)], lines counted from the snippet's first line."""

    def run(code: str, *args: str, rules=DEFAULT_RULES):
        path = tmp_path / "snippet.c"
        path.write_text(PRELUDE + code)
        offset = PRELUDE.count("\n")
        report = analyze([path], args, rules)
        return [(f.position.line - offset, f.rule) for f in report.findings]

    return run


def run_cli(*argv: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "signlint", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
