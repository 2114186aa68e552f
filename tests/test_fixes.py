"""What the fixes say and edit."""

from __future__ import annotations

import pytest
from conftest import PRELUDE, analyze

from signlint.run.fix import apply_edits


def fixed(tmp_path, code, *args):
    path = tmp_path / "f.c"
    path.write_text(PRELUDE + code)
    report = analyze([path], args)
    assert len(report.findings) == 1
    fix = report.findings[0].fix
    new = apply_edits(path.read_bytes(), list(fix.edits)).decode()
    return fix, new[len(PRELUDE):]


@pytest.mark.parametrize("code, want", [
    ("u64 f(u8 b) { return b << 24; }", "u64 f(u8 b) { return (u64)b << 24; }"),
    ("typedef u64 sector_t; sector_t f(u8 b) { return b << 24; }",
     "typedef u64 sector_t; sector_t f(u8 b) { return (sector_t)b << 24; }"),
    ("unsigned long f(u8 *p) { return p[3] << 24; }", "unsigned long f(u8 *p) { return (unsigned long)p[3] << 24; }"),
    ("u64 f(void) { return 1 << 31; }", "u64 f(void) { return 1ULL << 31; }"),
    ("s64 f(void) { return 0xff << 24; }", "s64 f(void) { return 0xffLL << 24; }"),
    ("u64 f(u8 b) { return (u64)(b << 24); }", "u64 f(u8 b) { return ((u64)b << 24); }"),
    ("#define to_u64(x) ((u64)(x))\nu64 f(u8 b) { return to_u64(b << 24); }",
     "#define to_u64(x) ((u64)(x))\nu64 f(u8 b) { return to_u64((u64)b << 24); }"),
    ("u64 f(u8 b, u8 c) { return b + c << 24; }", "u64 f(u8 b, u8 c) { return (u64)(b + c) << 24; }"),
    ("u64 f(u16 *p) { return (u16)(*p) << 16; }", "u64 f(u16 *p) { return (u64)(u16)(*p) << 16; }"),
    ("void f(u64 *v, const u8 *buf, unsigned int i) { if (i < 4) *v |= buf[i] << (8 * i); }",
     "void f(u64 *v, const u8 *buf, unsigned int i) { if (i < 4) *v |= (u64)buf[i] << (8 * i); }"),
])
def test_fix_text(tmp_path, code, want):
    fix, new = fixed(tmp_path, code)
    assert fix.applicable
    assert new == want


def test_fix_preview_reads_like_the_fixed_expression(tmp_path):
    fix, _ = fixed(tmp_path, "u64 f(u8 b) { return (u64)(b << 24); }")
    assert fix.description == "move the cast before shifting"
    assert fix.preview == "((u64)b << 24)"
