"""SL001 in short snippets, pyflakes style: the code reads like the bug."""

from __future__ import annotations

import pytest

FLAGGED = [(1, "SL001")]


@pytest.fixture
def lint(lint):
    """Only SL001: products and char bytes in these snippets belong to other rules."""
    run = lambda code, *args: lint(code, *args, rules={"SL001"})  # noqa: E731
    run.__wrapped__ = lint
    return run


@pytest.mark.parametrize("code", [
    "u64 f(u8 b) { return b << 24; }",
    "u64 f(u16 h) { return h << 16; }",
    "u64 f(u8 b) { return (u64)(b << 24); }",                      # a late cast does not help
    "s64 f(u8 b) { return (s64)(b << 24); }",                      # nor a signed one
    "u64 f(u8 b) { return (b & 0x80) << 24; }",
    "u64 f(u8 b, u64 x) { return x | (b << 24); }",
    "u64 f(u8 b, unsigned n) { return b << (n & 31); }",
    "u64 f(_Bool on) { return on << 31; }",
    "enum { TOP = 31 }; u64 f(void) { return 1 << TOP; }",
    "u64 f(u8 b) { return (b ? 1 : 0) << 31; }",
    "u64 f(u8 b, u8 c) { return b + c << 24; }",
    "u64 f(u8 b) { return (u8)(b + 1) << 24; }",
    "int f(u8 b, u64 x) { return x == (b << 24); }",
    "struct s { u64 v; }; struct s f(u8 b) { struct s r = { .v = b << 24 }; return r; }",
    "static const u64 g = 1 << 31;",
    "void f(u64 *v, u8 b) { *v += b << 24; }",
    "u64 f(u8 b) { u64 v = 0; v ^= b << 24; return v; }",
    "u64 f(u8 b, int c) { return c ? b << 24 : 0; }",
    "unsigned long long f(u8 b) { return b << 24; }",
    "struct bf { unsigned v:9; }; u64 f(struct bf *p) { return p->v << 23; }",
])
def test_flagged(lint, code):
    assert lint(code) == FLAGGED


@pytest.mark.parametrize("code", [
    "u64 f(u8 b, unsigned n) { return b << n; }",
    "struct s { u8 order; }; u64 f(struct s *s) { return 1 << s->order; }",
    "static u8 t[] = { 31 }; u64 f(int i) { return 1 << t[i]; }",
    "static int get(u8 b, int n) { return b << n; } u64 f(u8 b, int n) { return get(b, n); }",
])
def test_a_count_nothing_bounds_is_sl007(lint, code):
    """Whether the count reaches the sign bit is decided elsewhere: opt-in SL007, not SL001."""
    assert lint(code) == []
    assert lint.__wrapped__(code, rules={"SL001", "SL007"}) == [(1, "SL007")]


@pytest.mark.parametrize("code, want", [
    ("static const u8 t[] = { 12, 31 }; u64 f(int i) { return 1 << t[i]; }", [(1, "SL001")]),
    ("static const u8 t[] = { 12, 20 }; u64 f(int i) { return 1 << t[i]; }", []),
    ("static const u8 t[4] = { 20 }; u64 f(u8 b, int i) { return b << t[i]; }", []),
])
def test_a_const_tables_elements_bound_the_count(lint, code, want):
    """The initializer of a const table is in the code: its largest element decides."""
    assert lint.__wrapped__(code, rules={"SL001", "SL007"}) == want


@pytest.mark.parametrize("code", [
    "u64 f(u8 b, unsigned n) { if (n > 24) return 0; return b << n; }",
    "static int get(u8 b, int n) { return b << n; } u64 f(u8 b) { return get(b, 24); }",
    "#define MAXLOG 31\nu64 f(void) { return 1 << MAXLOG; }",
])
def test_a_count_the_code_bounds_is_sl001(lint, code):
    assert lint(code) == [(code.count("\n") + 1, "SL001")]


@pytest.mark.parametrize("code", [
    "u64 f(u8 b) { return b << 16; }",                             # 8 + 16 bits never reach bit 31
    "u64 f(u8 b) { return b << 23; }",
    "u64 f(u16 h) { return h << 15; }",
    "u64 f(u8 b) { return (b & 0x7f) << 24; }",
    "u64 f(u8 b) { return (b >> 1) << 24; }",
    "u64 f(u8 b) { return (b % 128) << 24; }",
    "u64 f(u8 b) { return (u64)b << 24; }",                        # cast before the shift
    "u64 f(u8 b) { return (u32)b << 24; }",                        # unsigned int: no sign
    "u64 f(u8 b) { return 1ULL << 31 | b; }",
    "u64 f(void) { return 1U << 31; }",
    "u32 f(u8 b) { return b << 24; }",                             # a u32 destination keeps the bits
    "u64 f(u32 w) { return w << 8; }",                             # u32 is not promoted
    "u64 f(int v) { return v << 24; }",                            # an int of unknown range: no claim
    "u64 f(u8 b) { return (b << 24) & 0xffffffffULL; }",           # the sign-extended bits are masked off
    "u64 f(u8 b) { return (b << 24) & 0xff000000; }",              # an unsigned int mask: no sign
    "u32 f(u8 b, u64 x) { return x | (b << 24); }",                # widened, then truncated back
    "void f(u32 *v, u8 b) { *v |= b << 24; }",
    "u64 f(u8 b, unsigned n) { return (b & 1) << (n & 7); }",
    "struct bf { unsigned v:7; }; u64 f(struct bf *p) { return p->v << 24; }",
    "int printf(const char *, ...); void f(u8 b) { printf(\"%x\", b << 24); }",  # variadic: no conversion
    "s64 f(u8 b) { return (int)(b << 24) >> 24; }",               # sign extension on purpose
    "u64 f(u16 a, u16 b) { return a * b; }",                       # a product, not a shift: other rule
    "u64 f(char c) { return c << 24; }",                           # signed char (x86): another rule
])
def test_silent(lint, code):
    assert lint(code) == []


def test_target_sizes_decide_what_is_a_sink(lint):
    code = "unsigned long f(u8 b) { return b << 24; }"
    assert lint(code) == FLAGGED
    assert lint(code, "-m32", "-ffreestanding") == []


def test_char_signedness_comes_from_the_target(lint):
    code = "u64 f(char c) { return c << 24; }"
    assert lint(code, "-funsigned-char") == FLAGGED
    assert lint(code) == []


def test_one_finding_per_shift_in_a_chain(lint):
    code = ("u64 f(const u8 *p) {\n"
            "\treturn p[0] | p[1] << 8 | p[2] << 16 |\n"
            "\t       p[3] << 24;\n"
            "}")
    assert lint(code) == [(3, "SL001")]


def test_deeply_nested_expressions_and_long_else_if_chains(lint):
    terms = " | ".join(f"(b << {i % 8})" for i in range(3000))
    chain = "".join(f"if (x == {i}) v = b << 8; else " for i in range(2000))
    code = (f"u64 f(u8 b) {{ return {terms} |\n (b << 24); }}\n"
            f"u64 g(u8 b, int x) {{ u64 v = 0; {chain} v = 0; return v; }}\n")
    assert lint(code) == [(2, "SL001")]


@pytest.mark.parametrize("code", [
    # Counts clang folds are exact: type_max(int) from the kernel's overflow.h.
    "#define is_signed_type(t) (((t)(-1)) < (t)1)\n"
    "#define type_max(T) ((T)((((T)1 << (8*sizeof(T) - 1 - is_signed_type(T))) - 1) * 2 + 1))\n"
    "s64 f(void) { return type_max(int); }",
    "u64 f(void) { return 1 << __builtin_popcount(0x7f); }",
    "u64 f(void) { const unsigned shift = 12 - 3; return 1 << shift; }",
    # The sign-extended bits are shifted out of the u64.
    "u64 f(u8 b) { return (u64)(b << 24) << 32; }",
])
def test_silent_by_folding_and_shifting_out(lint, code):
    assert lint(code) == []


def test_typeof_sink_is_spelled_as_its_type(tmp_path):
    from conftest import PRELUDE, analyze
    path = tmp_path / "t.c"
    path.write_text(PRELUDE + "long long f(u8 b, long long x) { typeof(x) y = b << 24; return y; }\n")
    [finding] = analyze([path]).findings
    assert "'long long'" in finding.message and finding.fix.edits[0].text == "(long long)"


def test_or_with_constant_upper_ones_hides_the_extension(lint):
    assert lint("u64 f(u8 b) { return (b << 24) | 0xffffffff00000000ULL; }") == []
    assert lint("u64 f(u8 b) { return (b << 24) | 0xffff000000000000ULL; }") == FLAGGED


@pytest.mark.parametrize("code", [
    "const u8 *f(const u8 *p, u8 b) { return p + (b << 24); }",
    "u8 f(const u8 *p, u8 b) { return p[b << 24]; }",
    "u8 f(const u8 *p, u8 b) { return *(p - (b << 24)); }",
])
def test_pointer_offsets_are_sign_extended(lint, code):
    assert lint(code) == FLAGGED


def test_pointer_offsets_on_a_32_bit_target_are_not(lint):
    assert lint("u8 f(const u8 *p, u8 b) { return p[b << 24]; }", "-m32", "-ffreestanding") == []


def test_an_operand_pasted_by_a_macro_is_reported_not_a_crash(lint):
    # UINT32_C(0x300) is `0x300 ## U`: the pasted token is spelled in clang's scratch
    # buffer, in no file (xz's LITERAL_CODER_SIZE; an internal error before).
    code = "#define WIDE(c) c ## U\nu64 coders(u32 k) { return WIDE(0x300) << k; }\n"
    assert lint.__wrapped__(code, rules={"SL004"}) == [(2, "SL004")]
