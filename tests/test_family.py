"""SL002-SL006 in short snippets: what each flags and what it leaves alone."""

from __future__ import annotations

import pytest

ALL = {"SL001", "SL002", "SL003", "SL004", "SL005", "SL006"}


@pytest.mark.parametrize("code, rule", [
    ("u64 f(u16 w, u16 h) { return w * h; }", "SL002"),
    ("unsigned long f(u16 w, u16 h, u8 k) { return w * h + k; }", "SL002"),
    ("u32 f(const char *p) { return (p[0] << 8) | (u8)p[1]; }", "SL003"),
    ("u32 f(const char *p) { return ((u8)p[0] << 8) + p[1]; }", "SL003"),
    ("int f(char c) { return c == 0xff; }", "SL003"),
    ("int f(char c) { return c >= 0x80; }", "SL003"),
    ("u16 f(const char *p) { return p[0] | 0x100; }", "SL003"),
    ("int f(const char *hex, char c) { return hex[c >> 4]; }", "SL003"),
    ("u32 f(signed char c) { return c << 8; }", "SL003"),           # a signed char used as a byte
    ("u32 f(char c) { return c; }", "SL003"),
    ("int f(const int *table, char c) { return table[c]; }", "SL003"),
    ("void f(u32 *sum, const char *p) { *sum += p[0]; }", "SL003"),
    ("u64 f(u32 pfn) { return pfn << 12; }", "SL004"),
    ("u32 f(u8 b) { return b << 24; }", "SL005"),
    ("void f(u64 *x, u32 m) { *x &= ~m; }", "SL006"),
    ("u64 f(u64 x) { return x & ~0xfffU; }", "SL006"),
    ("u64 f(u16 v) { return ~v; }", "SL006"),
    ("static int area(u16 w, u16 h) { return w * h; } u64 f(u16 w, u16 h) { return area(w, h); }", "SL002"),
    ("static int inv(u8 b) { return ~b; } u64 f(u8 b) { return inv(b); }", "SL006"),
])
def test_flagged(lint, code, rule):
    assert lint(code, rules=ALL) == [(1, rule)]


@pytest.mark.parametrize("code", [
    "u64 f(u8 w, u8 h) { return w * h; }",                          # 16 bits: no overflow
    "u64 f(u16 w, u16 h) { return (u64)w * h; }",
    "u32 f(u16 w, u16 h) { return w * h; }",                        # no widening (a documented limit)
    "int f(char c) { int v = c; return v; }",                       # signed use intended
    "u32 f(char c) { return c & 0xff; }",
    "u32 f(const char *p) { return (u8)p[0] << 8 | (u8)p[1]; }",
    "int f(char c) { return c == 'a'; }",
    "u64 f(u32 pfn) { return (u64)pfn << 12; }",
    "u32 f(u32 pfn) { return pfn << 12; }",
    "u64 f(unsigned long pfn) { return pfn << 12; }",
    "u32 f(u8 b) { return (u32)b << 24; }",
    "u32 f(u8 b) { return b << 23; }",
    "void f(u64 *x, u32 m) { *x &= ~(u64)m; }",
    "void f(u32 *x, u32 m) { *x &= ~m; }",
    "void f(u64 *x) { *x &= ~(1 << 3); }",                          # an int mask: its sign extends on purpose
    "u64 f(u64 x) { return x & ~0xfffULL; }",
    "u64 f(u64 x, u8 flag) { return x & ~flag; }",                 # the sign extension is the wanted mask
    "void f(char *o, const char *hex, int n, char lo) { *o = hex[n] | lo; }",  # cut back to a char
    "long long f(int x) { return (signed char)x; }",               # the cast asks for the sign
    "int f(const int *t, signed char d) { return t[d]; }",         # a signed char index is a number
    "int f(const int *t, signed char c) { return t[c + 128]; }",   # -128..127 onto 0..255
    "u64 f(u64 pos, s8 delta) { return pos + delta; }",            # signed arithmetic
    "u32 f(signed char c) { return c; }",                           # a declared signed number, converted
    "u32 f(s8 len) { u32 need = 4 + len; return need; }",
    "unsigned int f(const char *s) { unsigned int c = *s; return c >= '0' && c <= '9'; }",  # ASCII tests only
    "u32 f(u32 w, char n) { return (w >> n) & ((1u << n) - 1); }",  # a char shift count is a number
    "void f(u64 *x, u16 bits) { *x &= ~bits; }",
    "static int area(u16 w, u16 h) { return w * h; } u64 f(u8 w) { return area(w, w); }",  # the call's ranges
    "static int area(u16 w, u16 h) { return w * h; } u32 f(u16 w, u16 h) { return area(w, h); }",
    "static int inv(u8 b) { return ~b; } long f(u8 b) { return (long)inv(b); }",  # asks for the int
])
def test_silent(lint, code):
    assert lint(code, rules=ALL) == []


def test_sl005_leaves_widened_shifts_to_sl001(lint):
    assert lint("u64 f(u8 b) { return b << 24; }", rules=ALL) == [(1, "SL001")]


def test_char_signedness_follows_the_target(lint):
    code = "u32 f(const char *p) { return p[0] << 8; }"
    assert lint(code, rules=ALL) == [(1, "SL003")]
    assert lint(code, "-funsigned-char", rules=ALL) == []


def test_default_rules_are_the_ones_on_evidence():
    from signlint.checks import DEFAULT_RULES
    assert set(DEFAULT_RULES) == {"SL001", "SL002", "SL003", "SL008"}
