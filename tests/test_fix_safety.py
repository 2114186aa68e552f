"""Safe and unsafe fixes: --fix applies only the safe ones (a cast on the shifted
operand, a ULL suffix, a late cast moved); a fix that changes a declaration's type
(a helper's return type) or how a stored int is read waits for --unsafe-fixes, and
is refused where the code relies on a negative result."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import PRELUDE, analyze, run_cli

HELPER = """static int get_hi(const u8 *p) { return p[0] << 24; }
u64 read_hi(const u8 *p) { return get_hi(p); }
u64 direct(u8 b) { return b << 24; }
"""


def write(tmp_path, code, name="f.c"):
    path = tmp_path / name
    path.write_text(PRELUDE + code)
    return path


def fix_of(tmp_path, code, function):
    report = analyze([write(tmp_path, code)])
    [finding] = [f for f in report.findings if f.function == function]
    return finding.fix


def test_operand_casts_are_safe_and_type_changes_are_not(tmp_path):
    assert fix_of(tmp_path, HELPER, "direct").safe
    assert not fix_of(tmp_path, HELPER, "read_hi").safe
    stored = "u64 f(u8 b) { int t = b << 24; return t; }"
    assert not fix_of(tmp_path, stored, "f").safe  # reads t as unsigned int


def test_fix_applies_only_the_safe_fixes_and_says_how_many_wait(tmp_path):
    path = write(tmp_path, HELPER)
    done = run_cli("check", "--fix", str(path))
    text = path.read_text()
    assert "(u64)b << 24" in text and "static int get_hi" in text  # the helper keeps its type
    assert done.returncode == 1  # the helper's finding remains
    assert done.stdout.splitlines()[-1].startswith(
        "Found 1 finding(s); 0 fixable with --fix, 1 more with --fix --unsafe-fixes")
    before = run_cli("check", "--unsafe-fixes", str(path)).stdout.splitlines()[-1]
    assert before == "Found 1 finding(s); 1 fixable with --fix."

    done = run_cli("check", "--fix", "--unsafe-fixes", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "static unsigned int get_hi" in path.read_text()


def test_the_configuration_can_ask_for_unsafe_fixes(tmp_path):
    path = write(tmp_path, HELPER)
    (tmp_path / "signlint.toml").write_text("unsafe-fixes = true\n")
    done = run_cli("check", "--fix", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "static unsigned int get_hi" in path.read_text()
    (tmp_path / "signlint.toml").write_text('unsafe-fixes = "yes"\n')
    bad = run_cli("check", str(path), cwd=tmp_path)
    assert bad.returncode == 2 and "'unsafe-fixes'" in bad.stderr and "true or false" in bad.stderr


NEGATIVE_RETURN = """static int get_be32(const u8 *p, int len)
{
	if (len < 4)
		return -22;
	return p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}
u64 read_be32(const u8 *p, int len) { return get_be32(p, len); }
"""

SIGN_TEST_BY_CALLER = """static int get_be32(const u8 *p) { return p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
u64 read_be32(const u8 *p) { return get_be32(p); }
int valid(const u8 *p) { return get_be32(p) < 0 ? 0 : 1; }
"""

SIGN_TEST_OF_A_COPY = """static int get_be32(const u8 *p) { return p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
u64 read_be32(const u8 *p) { return get_be32(p); }
int valid(const u8 *p) { int ret; ret = get_be32(p); if (ret < 0) return 0; return 1; }
"""


@pytest.mark.parametrize("code, reason", [
    (NEGATIVE_RETURN, "get_be32() returns a negative value (line"),
    (SIGN_TEST_BY_CALLER, "a caller tests the sign of get_be32()'s result"),
    (SIGN_TEST_OF_A_COPY, "a caller tests the sign of 'ret'"),
])
def test_a_helper_whose_negative_result_matters_keeps_its_type(tmp_path, code, reason):
    fix = fix_of(tmp_path, code, "read_be32")
    assert not fix.applicable and not fix.edits
    assert reason in fix.description and "must stay signed" in fix.description
    path = tmp_path / "f.c"
    before = path.read_text()
    run_cli("check", "--fix", "--unsafe-fixes", str(path))
    assert path.read_text() == before


def test_a_sign_test_in_the_helpers_own_header_keeps_its_type(tmp_path):
    """The helper and a caller that tests its sign live in a header: its tokens
    are read too, not only the main file's."""
    reader = "u64 read_be32(const u8 *p) { return get_be32(p); }\n"
    (tmp_path / "be.h").write_text(SIGN_TEST_BY_CALLER.replace(reader, ""))
    fix = fix_of(tmp_path, '#include "be.h"\n' + reader, "read_be32")
    assert not fix.applicable and not fix.edits
    assert "a caller tests the sign of get_be32()'s result (line 2)" in fix.description


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc runs the program")
def test_the_refused_fix_would_have_broken_the_error_check(tmp_path):
    """Proof by execution of why the helper must stay signed: with an unsigned return
    type, the caller's `< 0` test never sees the error."""
    program = PRELUDE.replace("#include", "#include <stdio.h>\n#include", 1) + SIGN_TEST_BY_CALLER + """
int main(void) { u8 ok[4] = { 1, 2, 3, 4 }; u8 neg[4] = { 0xff, 0xff, 0xff, 0xea };
    return !(valid(ok) == 1 && valid(neg) == 0); }
"""
    for return_type, want in (("int", 0), ("unsigned int", 1)):
        source = tmp_path / f"p_{len(return_type)}.c"
        source.write_text(program.replace("static int get_be32", f"static {return_type} get_be32"))
        binary = tmp_path / source.stem
        subprocess.run(["gcc", "-w", "-O0", str(source), "-o", str(binary)], check=True)
        assert subprocess.run([str(binary)]).returncode == want


def test_reports_mark_which_fix_is_safe(tmp_path):
    path = write(tmp_path, HELPER)
    data = json.loads(run_cli("check", "--format", "json", str(path)).stdout)
    safety = {f["function"]: f["fix"]["safe"] for f in data["findings"]}
    assert safety == {"read_hi": False, "direct": True}

    sarif = json.loads(run_cli("check", "--format", "sarif", str(path)).stdout)
    results = sarif["runs"][0]["results"]
    marks = sorted(r["fixes"][0]["properties"]["safety"] for r in results)
    assert marks == ["safe", "unsafe"]

    rdjson = json.loads(run_cli("check", "--format", "rdjson", str(path)).stdout)
    suggested = {d["location"]["range"]["start"]["line"]: "suggestions" in d for d in rdjson["diagnostics"]}
    assert sorted(suggested.values()) == [False, True]  # the unsafe fix is no one-click suggestion
    unsafe = [d for d in rdjson["diagnostics"] if "suggestions" not in d]
    assert "unsafe" in unsafe[0]["message"]


def test_fix_killed_at_random_moments_leaves_each_file_old_or_fixed(tmp_path):
    """Issue 11.9: SIGKILL --fix over a folder of copies at random moments. Every
    file is the old one or the completely fixed one; a temporary file the kill
    left (only where O_TMPFILE cannot be linked, as on overlayfs) is removed by
    the next run, which finishes the job."""
    import os
    import random
    import signal
    import sys
    import time

    from conftest import ROOT

    old = (PRELUDE + HELPER + "u64 more(u8 b, u8 c) { return (b << 24) | (c << 16); }\n").encode()
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "f.c").write_bytes(old)
    run_cli("check", "--fix", "--no-cache", "-j", "0", str(reference / "f.c"))
    fixed = (reference / "f.c").read_bytes()
    assert fixed != old
    command = [sys.executable, "-m", "signlint", "check", "--fix", "--no-cache", "-j", "0"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rng = random.Random(11)

    def copies(name):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(12):
            (folder / f"copy{i}.c").write_bytes(old)
        return folder

    # Kill moments spread over a whole run as long as it takes on this machine now.
    began = time.monotonic()
    subprocess.run([*command, str(copies("timed"))], env=env, capture_output=True)
    whole = time.monotonic() - began
    outcomes = set()
    for trial in range(8):
        folder = copies(f"trial{trial}")
        process = subprocess.Popen([*command, str(folder)], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.0) * whole)
        process.send_signal(signal.SIGKILL)
        process.wait()
        contents = {p.read_bytes() for p in folder.glob("*.c")}
        assert contents <= {old, fixed}
        outcomes.add(frozenset(contents))
        run_cli("check", "--fix", "--no-cache", "-j", "0", str(folder))
        assert {p.read_bytes() for p in folder.glob("*.c")} == {fixed}
        assert [p.name for p in folder.iterdir() if not p.name.endswith(".c")] == []
    assert len(outcomes) > 1, "every kill came at the same stage: widen the delays"
