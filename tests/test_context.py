"""Ranges from the code around an expression (signlint/analysis/context.py,
conditions.py, helpers.py), pyflakes style: each snippet reads like the code, and
the expected findings are (line, rule) counted from its first line."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

FLAGGED = [(1, "SL001")]


@pytest.fixture
def lint(lint):
    return lambda code, *args, rules=frozenset({"SL001", "SL002"}): lint(code, *args, rules=rules)


# Each proves the shifted value small on every path that reaches the shift.
@pytest.mark.parametrize("code", [
    "u64 f(u8 b) { if (b > 0x7f) return 0; return b << 24; }",
    "u64 f(u8 b) { if (b >= 0x80) return 0; return b << 24; }",
    "u64 f(u8 b) { if (0x7f < b) return 0; return b << 24; }",                   # constant on the left
    "u64 f(u8 b) { if (b < 0x80) return b << 24; return 0; }",                   # the then branch
    "u64 f(u8 b) { if (b >= 0x80) return 0; else return b << 24; }",             # the else branch
    "u64 f(u8 b) { u64 r = 0; if (b > 0x7f) goto out; r = b << 24; out: return r; }",
    "u64 f(u8 b, int y) { if (b > 0x7f || y) return 0; return b << 24; }",       # || false: both false
    "u64 f(u8 b) { if (!(b <= 0x7f)) return 0; return b << 24; }",
    "u64 f(u8 b) { if (b >> 7) return 0; return b << 24; }",
    "u64 f(u16 h) { if (h & 0xff80) return 0; return h << 24; }",
    "u64 f(u16 h) { if ((h & ~0x7f) != 0) return 0; return h << 24; }",
    "u64 f(int n, u8 b) { if (n < 0 || n > 16) return 0; return b << n; }",
    "u64 f(int n, u8 b) { if (n >= 17u) return 0; return b << n; }",             # negative n is rejected too
    "u64 f(int n, u8 b) { if ((unsigned int)n >= 17) return 0; return b << n; }",
    "u64 f(u8 b) { while (b > 0x7f) b >>= 1; return b << 24; }",                # the loop ends when b <= 0x7f
    "u64 f(u8 b) { for (; b > 0x7f; b >>= 1) ; return b << 24; }",             # a `for` with no first clause
    "u64 f(u8 b, int n) { u64 r = 0; for (; b < 0x80 && n; n--) r |= b << 24; return r; }",
    "u64 f(const u8 *p, int n) { u64 s = 0; for (int i = 0; i < n; i++) { u8 c = p[i]; "
    "if (c & 0x80) continue; s += c << 24; } return s; }",
    "u64 f(u8 b, int k) { switch (k) { case 0: case 8: case 16: return b << k; } return 0; }",
    "u64 f(u8 b, int k) { switch (k) { case 1 ... 7: return b << (k + 16); default: return 0; } }",
    "u64 f(u8 b, int t) { int s; switch (t) { case 1: s = 3; break; default: s = 0; break; } return b << s; }",
    "u64 f(const u16 *h) { u64 r = 0; for (int i = 0; i < 2; i++) r |= h[i] << (8 * i); return r; }",
    "u64 f(u8 b) { u64 r = 0; for (int i = 16; i >= 0; i -= 8) r |= b << i; return r; }",
    "u64 f(u16 x) { unsigned k = x & 7; return 1 << (k + 20); }",               # an assignment bounds k
    "u64 f(u16 x) { unsigned k; k = x & 7; return 1 << (k + 20); }",
    "enum e { A, B, C }; u64 f(enum e v) { return 1 << (v + 27); }",            # enumerators 0..2: at most 3
    "u64 f(u8 b) { while (b < 0x80) { u64 r = b << 24; b = r; } return 0; }",   # the condition just held
    "u64 f(u8 b) { if (b > 0x7f) b = 0; return b << 24; }",                     # both paths: b <= 0x7f
    "unsigned long f(u16 r, u16 s) { if (s < 512 || s > 4096) return 0; return r * s; }",
    "u64 f(int n) { return n < 31 ? 1 << n : 0; }",                              # the branch of a '?:'
    "u64 f(int n) { return n >= 31 ? 0 : 1 << n; }",
    "u64 f(int n, u64 x) { return n < 31 && (x & (1 << n)); }",                  # the right side of '&&'
    "u64 f(int n, u64 x) { return n > 30 || (x & (1 << n)); }",
])
def test_silent(lint, code):
    assert lint(code) == []


# Bounds that are not constants: a variable the code proves, a flag set under a test.
@pytest.mark.parametrize("code", [
    "u64 f(u8 b, int m) { int n = 16; if (m >= 0 && m < n) return b << m; return 0; }",
    "u64 f(u8 b, unsigned m) { unsigned n = 16; while (m >= n) m -= n; return b << m; }",
    "u64 f(u8 b, int m) { int ok = 0; if (m >= 0 && m < 16) ok = 1; if (ok == 1) return b << m; return 0; }",
    "u64 f(u8 b, int m) { int ok = 0; if (m >= 0 && m < 16) ok = 1; if (ok) return b << m; return 0; }",
    "u64 f(u8 b, int m) { int ok = 0; if (m >= 0 && m < 16) ok = 1; if (ok != 0) return b << m; return 0; }",
])
def test_silent_with_proved_bounds(lint, code):
    assert lint(code, rules={"SL001", "SL002", "SL007"}) == []


# Each still lets a bad value reach the widening.
@pytest.mark.parametrize("code", [
    "u64 f(u16 x) { if (x > 0xff) return 0; return x << 24; }",                  # 0x80..0xff pass the guard
    "u64 f(u8 b, int y) { if (b > 0x7f && y) return 0; return b << 24; }",       # && false: either one
    "u64 f(u8 b) { if (b > 0x7f) b = 0xff; return b << 16 << 8; }",
    "u64 f(u16 x) { if (x > 0x7f) return 0; x = x * 4; return x << 24; }",      # assigned after the guard
    "void g(u16 *); u64 f(u16 x) { if (x > 0x7f) return 0; g(&x); return x << 24; }",  # its address escapes
    "u64 f(u8 b) { if (b > 0x7f) goto out; again: return b << 24; out: goto again; }",  # a label: any path
    "u64 f(u8 b, int s) { if (s) { if (b > 0x7f) return 0; } return b << 24; }",
    "u64 f(u16 h, int n) { u64 r = 0; if (h > 0x7f) return 0; while (n--) { r |= h << 24; h <<= 1; } return r; }",
    "u64 f(u8 b, int k) { switch (k) { case 8: case 24: return b << k; } return 0; }",
    "u64 f(u8 b) { while (b > 0x7f) { if (b == 0xff) break; b >>= 1; } return b << 24; }",  # a break: b may be 0xff
    "u64 f(u8 b, int k) { switch (k) { case 8: b = 0xff; default: return b << (k & 31); } }",  # default: any k
    "u64 f(const u16 *h) { u64 r = 0; for (int i = 0; i < 4; i++) r |= h[i] << (8 * i); return r; }",
    "u64 f(const u16 *h) { u64 r = 0; for (int i = 0; i < 2; i++) { i += 2; r |= h[0] << (8 * i); } return r; }",
    "enum e { A, B, C, D, E }; u64 f(enum e v) { return 1 << (v + 27); }",       # enumerators 0..4: bits 0..7
    "unsigned long f(u16 w, u16 h) { if (h > 0x9000) return 0; return w * h; }",
    "u64 f(int n) { return n < 32 ? 1 << n : 0; }",
    "u64 f(u16 h) { if (h > 0x80) return 0; return (0xff - h) << 24; }",         # h < 0x80 makes it >= 0x80
    "u64 f(u8 b, int m, int n) { if (m < n) return b << m; return 0; }",         # n: nothing bounds it
    "u64 f(u8 b, int m) { int ok = 0; if (m >= 0 && m < 16) ok = 1; if (ok == 0) return b << m; return 0; }",
    "u64 f(u8 b, int m) { int ok = 0; if (m >= 0 && m < 16) ok = 1; m = m * 4; if (ok) return b << m; return 0; }",
    "u64 f(u8 b, int m, int s) { int ok = s; if (m >= 0 && m < 16) ok = 1; if (ok) return b << m; return 0; }",
])
def test_kept(lint, code):
    got = lint(code, rules={"SL001", "SL002", "SL007"})  # SL007: a count the loop no longer bounds
    assert len(got) == 1 and got[0][1] in ("SL001", "SL002", "SL007"), got


@pytest.mark.parametrize("use", ["u64 f(const u8 *p) { return get_hi(p); }",
                                 "s64 f(const u8 *p) { return get_hi(p); }",
                                 "int f(const u8 *p, u64 x) { return (get_hi(p)) == x; }"])  # in parentheses
def test_helper_result_widened_at_the_call(lint, use):
    code = "static inline int get_hi(const u8 *p) { return p[0] << 24; }\n" + use
    assert lint(code) == [(2, "SL001")]


@pytest.mark.parametrize("code", [
    "static inline int get_hi(const u8 *p) { return p[0] << 16; }\nu64 f(const u8 *p) { return get_hi(p); }",
    "static inline u32 get_hi(const u8 *p) { return p[0] << 24; }\nu64 f(const u8 *p) { return get_hi(p); }",
    "static inline int get_hi(const u8 *p) { return p[0] << 24; }\ns64 f(const u8 *p) { return (s64)get_hi(p); }",
    "static inline int get(u8 b) { return b << 24; }\nu64 f(u8 b) { if (b > 0x7f) return 0; return get(b); }",
    "static inline int get(u8 b) { return b << 24; }\nu64 f(u8 b) { return get(b & 0x7f); }",
    "struct s { int a; }; static inline int get(struct s x, u8 b) { return b << 24; }\n"
    "u64 f(u8 b) { struct s x = { 0 }; return get(x, b & 0x7f); }",            # a parameter that is no integer
    "static inline int get_hi(const u8 *p) { return p[0] << 24; }\nu32 f(const u8 *p) { return get_hi(p); }",
    "static inline int lo(u8 b) { if (b > 0x7f) return 0; return b << 24; }\nu64 f(u8 b) { return lo(b); }",
])
def test_helper_results_that_cannot_show(lint, code):
    assert lint(code) == []


@pytest.mark.parametrize("body, want", [
    ("return p[0] << 24;", [(2, "SL001"), (3, "SL001")]),
    ("return p[0] - 1;", []),                                    # no summary: remembered as such
])
def test_a_helper_called_twice_is_summarised_once(lint, body, want):
    code = (f"static inline int get(const u8 *p) {{ {body} }}\n"
            "u64 f(const u8 *p) { return get(p); }\nu64 g(const u8 *p) { return get(p + 1); }")
    assert lint(code) == want


@pytest.mark.parametrize("code, rule", [
    ("u64 f(u8 b) { int t = b << 24; u64 x = t; return x; }", "SL001"),
    ("u64 f(u8 b) { int t; t = b << 24; return t; }", "SL001"),
    ("u64 f(u8 b) { int t = b << 24; int u = t; return (u64)u; }", "SL001"),            # copied
    ("u64 f(u8 b, int c) { int t = c ? b << 24 : 0; return t; }", "SL001"),
    ("u64 f(u8 b, int c) { int t = 0; if (c) t = b << 24; return t; }", "SL001"),       # on one way in
    ("u64 f(int n) { if (n < 0 || n > 31) return 0; int t = 1 << n; return t; }", "SL001"),  # a known count
    ("u64 f(u16 w, u16 h) { int n = w * h; return n; }", "SL002"),
    ("u64 f(u64 x, u8 b) { int m = ~b; return x | m; }", "SL006"),
    ("static int get(const u8 *p) { int v = p[0] << 24; return v; }\n"
     "u64 f(const u8 *p) { return get(p); }", "SL001"),                                 # a helper's variable
])
def test_a_stored_value_is_followed_to_its_widening(lint, code, rule):
    got = lint(code, rules={rule})
    assert [r for _, r in got] == [rule], got
    assert got[0][0] == code.count("\n") + 1


@pytest.mark.parametrize("code", [
    "u64 f(u8 b) { int t = b << 24; if (t < 0) return 0; return t; }",        # a guard
    "u64 f(u8 b) { int t = b << 16; return t; }",                              # never negative
    "long f(u8 b) { int t = b << 24; return (long)t; }",                      # the int's value is asked for
    "u64 f(u8 b, int n) { int t = b << 24; t = n & 0xff; return t; }",        # reassigned
    "u64 f(u8 b) { int t = b << 24; int *p = &t; return *p + t; }",           # its address is taken
    "void f(u64 *x, u8 b) { int m = ~b; *x &= m; }",                           # a mask, as *x &= ~b
    "u32 f(u8 b) { int t = b << 24; return t; }",                              # not widened
    "u64 f(int n) { int t = 1 << n; return t; }",      # a count of unknown range: reported only in place
])
def test_a_stored_value_that_cannot_show(lint, code):
    assert lint(code, rules={"SL001", "SL002", "SL003", "SL006"}) == []


def test_a_stored_value_fix_reads_it_unsigned(tmp_path):
    path = tmp_path / "stored.c"
    path.write_text("typedef unsigned char u8;\ntypedef unsigned long long u64;\n"
                    "u64 f(const u8 *p) { int v = p[0] << 24 | p[1]; u64 x = v; return x; }\n")
    done = run_cli("check", "--format", "json", str(path))
    finding = json.loads(done.stdout)["findings"][0]
    assert finding["message"].startswith("'v' holds 'p[0] << 24' (line 3), an int that can be negative")
    assert run_cli("check", "--fix", "--unsafe-fixes", str(path)).returncode == 0
    assert "u64 x = (unsigned int)v;" in path.read_text()
    assert run_cli("check", str(path)).returncode == 0


def test_helper_fix_changes_its_result_type(tmp_path):
    path = tmp_path / "helper.c"
    path.write_text("typedef unsigned char u8;\ntypedef unsigned long long u64;\n"
                    "static inline int get_hi(const u8 *p) { return p[0] << 24; }\n"
                    "u64 f(const u8 *p) { return get_hi(p); }\nu64 g(const u8 *p) { return get_hi(p) | 1; }\n")
    done = run_cli("check", "--fix", "--unsafe-fixes", str(path))
    assert done.returncode == 0, done.stderr
    text = path.read_text()
    assert "static inline unsigned int get_hi(const u8 *p)" in text and "int get_hi" not in text.replace(
        "unsigned int get_hi", "")
    assert run_cli("check", str(path)).returncode == 0


def test_helper_fix_computes_its_products_unsigned_whichever_rule_fixes_it(tmp_path):
    # The SL001 and SL002 fixes both change the result type: the one applied must also cast the product.
    path = tmp_path / "mix.c"
    path.write_text("typedef unsigned char u8;\ntypedef unsigned short u16;\ntypedef unsigned long long u64;\n"
                    "static inline int mix(u16 w, u16 h, u8 b) { return (w * h) | (b << 24); }\n"
                    "u64 f(u16 w, u16 h, u8 b) { return mix(w, h, b); }\n")
    run_cli("check", "--fix", "--unsafe-fixes", str(path))
    assert "static inline unsigned int mix(u16 w, u16 h, u8 b) { return ((unsigned int)w * h) | (b << 24); }" \
        in path.read_text()
    assert run_cli("check", str(path)).returncode == 0


def test_explain_lists_the_ranges_used(tmp_path):
    path = tmp_path / "guard.c"
    path.write_text("typedef unsigned short u16;\ntypedef unsigned long long u64;\n"
                    "u64 f(u16 x)\n{\n\tif (x > 0xff)\n\t\treturn 0;\n\treturn x << 24;\n}\n")
    done = run_cli("check", "--explain", "--format", "json", str(path))
    finding = json.loads(done.stdout)["findings"][0]
    assert finding["explanation"] == ["'x' in [0, 0xff] (guard on line 5)"]
    assert "range: 'x' in [0, 0xff] (guard on line 5)" in run_cli("check", "--explain", str(path)).stdout


def test_explain_silent_says_why_a_line_is_clean(tmp_path):
    path = tmp_path / "guard.c"
    path.write_text("typedef unsigned char u8;\ntypedef unsigned long long u64;\n"
                    "u64 f(u8 b)\n{\n\tif (b > 0x7f)\n\t\treturn 0;\n\treturn b << 24;\n}\n")
    done = run_cli("check", "--explain-silent", f"{path}:7", str(path))
    assert done.returncode == 0, done.stderr
    assert "'b << 24' in [0, 0x7f000000]: never negative: bit 31 is never set" in done.stdout
    assert "from: 'b' in [0, 0x7f] (guard on line 5)" in done.stdout
    nothing = run_cli("check", "--explain-silent", f"{path}:5", str(path))
    assert "no shift, product or widening" in nothing.stdout


def test_explain_silent_rejects_a_bad_location(tmp_path):
    path = tmp_path / "a.c"
    path.write_text("int x;\n")
    done = run_cli("check", "--explain-silent", "a.c", str(path))
    assert done.returncode == 2 and "PATH:LINE" in done.stderr and "Traceback" not in done.stderr


def test_a_message_quoting_several_lines_is_one_line(tmp_path):
    path = tmp_path / "multi.c"
    path.write_text("typedef unsigned long long u64;\nu64 f(int a, int b) { return 1 << (a -\n\t\t\t(9 - b)); }\n")
    message = json.loads(run_cli("check", "--select", "SL007", "--format", "json", str(path)).stdout)
    message = message["findings"][0]["message"]
    assert "'1 << (a - (9 - b))'" in message and "\n" not in message and "\t" not in message


def test_a_member_count_in_a_macro_is_quoted_whole(tmp_path):
    # fs/ext4/ext4.h EXT4_C2B(): the count `(sbi)->s_cluster_bits` used to be shown as `(sbi)`.
    path = tmp_path / "member.c"
    path.write_text("typedef unsigned long long u64;\nstruct sb { int bits; };\n"
                    "#define C2B(s, c) ((c) << (s)->bits)\nu64 f(struct sb *s) { return C2B(s, 1); }\n")
    finding = json.loads(run_cli("check", "--select", "SL007", "--format", "json", str(path)).stdout)["findings"][0]
    assert "'1 << (s)->bits'" in finding["message"]


def test_a_statement_expression_from_a_macro_is_quoted_as_the_macro_use(tmp_path):
    # lib/vsprintf.c get_arg(type): the operand, a `({ ... })` in a macro body written
    # over several lines, used to be shown as '\\' (then as '('). (get_arg(signed char)
    # itself is a signed number, not reported.)
    path = tmp_path / "stmt.c"
    path.write_text("typedef unsigned long long u64;\n#define get_arg(type) \\\n\t({ type v_ = *(type *)p; \\\n"
                    "\tp += sizeof(type); v_; })\nu64 f(const char *p) { return get_arg(char); }\n")
    finding = json.loads(run_cli("check", "--format", "json", str(path)).stdout)["findings"][0]
    assert finding["message"].startswith("'get_arg(char)' is a plain 'char'"), finding["message"]


@pytest.mark.parametrize("code", [
    "u64 f(u8 b) { if (b > 0x7e || b++) return 0; return b << 24; }",           # b++ made the 0x7f a 0x80
    "u64 f(u8 b) { u64 r = 0; for (int i = 0; i++ < 3; ) r |= b << (8 * i); return r; }",
])
def test_a_condition_that_changes_its_variable_proves_nothing_about_it(lint, code):
    assert lint(code, rules={"SL001", "SL007"}) in (FLAGGED, [(1, "SL007")])
