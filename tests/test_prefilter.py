"""The front end's pre-test (TranslationUnit.roots(relevant_only=True)) leaves out
only roots in which the value analysis finds nothing: on every fixture, the
examples and a batch of random oracle programs, the roots that produce widenings,
char uses or sign shifts are the same with and without it.

A new kind of origin in the value analysis (analysis/operators.py: a call to a
helper, say) that the pre-test does not know fails here: add it to
expressions.Expressions.is_origin / scanner."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import FIXTURES, ROOT

from signlint.analysis.values import ValueAnalysis
from signlint.front.translation_unit import TranslationUnit

sys.path.insert(0, str(ROOT))

from oracle.gen import generate  # noqa: E402

ARGS = re.compile(r"//\s*signlint-args:\s*(.*)")
FILES = sorted(FIXTURES.glob("sl*/*.c")) + sorted((ROOT / "examples").glob("*.c"))


def productive_roots(path: str, args: list[str], relevant_only: bool) -> tuple[int, list[tuple]]:
    """(roots walked, [(function, offset, widenings, char uses, sign shifts)] of those with any)."""
    tu = TranslationUnit(path, args)
    walked, out = 0, []
    for root in tu.roots(lambda _: True, relevant_only=relevant_only):
        walked += 1
        analysis = ValueAnalysis()
        analysis.run(root.expr)
        if analysis.widenings or analysis.char_uses or analysis.sign_shifts:
            where = root.expr.handle.extent.start.offset
            out.append((root.function, where, len(analysis.widenings), len(analysis.char_uses),
                        len(analysis.sign_shifts)))
    return walked, out


def same_with_and_without(path: str, args: list[str]) -> tuple[int, int, int]:
    all_roots, expected = productive_roots(path, args, relevant_only=False)
    kept, got = productive_roots(path, args, relevant_only=True)
    assert got == expected
    return all_roots, kept, len(expected)


def fixture_args(path) -> list[str]:
    for line in path.read_text().splitlines()[:5]:
        if m := ARGS.search(line):
            return m.group(1).split()
    return []


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_prefilter_keeps_every_productive_root_of_the_fixtures(path):
    same_with_and_without(str(path), fixture_args(path))


def test_prefilter_keeps_every_productive_root_of_random_programs(tmp_path):
    totals = [0, 0, 0]
    for seed in range(30):
        path = tmp_path / f"seed{seed}.c"
        path.write_text(generate(seed).source)
        for i, n in enumerate(same_with_and_without(str(path), [])):
            totals[i] += n
    all_roots, kept, productive = totals
    assert productive > 0 and kept < all_roots  # the test did leave roots out, and kept some


def test_prefilter_sees_each_kind_of_origin(tmp_path):
    """One root per origin, each alone in its function: all are kept; the others go."""
    path = tmp_path / "origins.c"
    path.write_text("""
typedef unsigned char u8; typedef unsigned long long u64; typedef signed char s8;
enum __attribute__((packed)) small { NEG = -1, POS = 1 };
u64 shift(u8 b) { return b << 24; }
long product(int a, int b) { return a * b; }
u64 complement(unsigned int m, u64 x) { return x & ~m; }
unsigned int promoted(char c) { return c; }
int indexed(const int *t, char c) { return t[c]; }
unsigned int byte(s8 v) { return v; }
unsigned int packed(enum small e) { return e; }
u64 unsigned_product(unsigned int a, unsigned int b) { return a * b; }
u64 wide_complement(u64 m, u64 x) { return x & ~m; }
int call(int (*f)(int), int x) { return f(x) + 1; }
""")
    tu = TranslationUnit(str(path), [])
    kept = {root.function for root in tu.roots(lambda _: True, relevant_only=True)}
    assert kept == {"shift", "product", "complement", "promoted", "indexed", "byte", "packed"}


def test_main_file_declarations_found_by_raw_location(tmp_path):
    """With no header wanted, roots() tells the main file's declarations by their
    raw location (TranslationUnit._main_file_range): the same roots as asking for
    every declaration's file (a wanted header turns that shortcut off)."""
    header = tmp_path / "inline.h"
    header.write_text("""
#define DEFINE_GET(name) static inline unsigned long name(unsigned char *p) { return p[0] << 24; }
DEFINE_GET(header_get)
static inline unsigned long header_shift(unsigned char b) { return b << 24; }
""")
    main = tmp_path / "main.c"
    main.write_text("""#include "inline.h"
DEFINE_GET(main_get)
unsigned long main_shift(unsigned char b) { return b << 24; }
#include "inline.h"
unsigned long after(unsigned char b) { return header_shift(b) + (b << 24); }
""")
    seen = {}
    for path in [main, *sorted(FIXTURES.glob("sl*/*.c"))]:
        real = str(path.resolve())
        tu = TranslationUnit(str(path), fixture_args(path))
        only_main = [(r.function, r.expr.handle.extent.start.offset)
                     for r in tu.roots(lambda p, real=real: p == real, relevant_only=True)]
        everything = [(r.function, r.expr.handle.extent.start.offset)
                      for r in tu.roots(lambda _: True, relevant_only=True)
                      if str(r.expr.handle.extent.start.file) == str(path)]  # where the macro is used
        assert only_main == everything, path
        seen[path] = {function for function, _ in only_main}
    assert seen[main] == {"main_get", "main_shift", "after"}
