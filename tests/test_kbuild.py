"""`signlint kbuild`: what kbuild's CHECK= command line looks like, and what it gets back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

from signlint.run import kbuild

# What `make C=1 CHECK="signlint kbuild"` runs for lib/a.o on x86_64 (CHECKFLAGS, then
# c_flags, then the source), trimmed to the kinds of flags it has.
SPARSE = ["-D__linux__", "-Dlinux", "-D__STDC__", "-Dunix", "-D__unix__", "-Wbitwise", "-Wno-return-void",
          "-Wno-unknown-attribute", "-D__x86_64__", "--arch=x86", "-mlittle-endian", "-m64"]
GCC = ["-Wp,-MMD,lib/.a.o.d", "-nostdinc", "-I./include", "-include", "./include/config.h", "-D__KERNEL__",
       "-fmacro-prefix-map=./=", "-Wall", "-Werror=strict-prototypes", "-std=gnu11", "-fno-PIE", "-mno-red-zone",
       "-mcmodel=kernel", "-mpreferred-stack-boundary=3", "-mindirect-branch=thunk-extern",
       "-mindirect-branch-register", "-fno-allow-store-data-races", "-fconserve-stack", "-mskip-rax-setup",
       "-mtune=generic", "-falign-jumps=1", "-Werror", "-Wimplicit-fallthrough=5", "-fstack-protector-strong",
       '-DKBUILD_MODFILE="lib/a"', '-DKBUILD_BASENAME="a"', '-DKBUILD_MODNAME="a"', "-D__KBUILD_MODNAME=kmod_a",
       "-I", "./lib"]


def make_tree(root):
    (root / "include").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "include" / "config.h").write_text("#define CONFIG_64BIT 1\n")
    (root / "include" / "types.h").write_text(
        "#ifndef TYPES_H\n#define TYPES_H\ntypedef unsigned char u8; typedef unsigned long long u64;\n"
        "static inline u64 shared(u8 b) { return b << 24; }\n#endif\n")  # a shared header: not reported
    (root / "lib" / "local.h").write_text(
        '#include "types.h"\nstatic inline u64 local(u8 b) { return b << 24; }\n')
    (root / "lib" / "a.c").write_text(
        '#include "types.h"\n#include "local.h"\n'
        "#ifndef __KERNEL__\n#error not the kernel's flags\n#endif\n"
        "u64 get(u8 b) { return b << 24; }\n"
        "u64 kept(u8 b) { return b << 24; } /* signlint: ignore[SL001] checked */\n")
    return root


def kbuild_run(root, *argv, env=None):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(root / ".cache"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "signlint", "kbuild", *argv], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


def test_findings_go_to_stderr_gcc_style_and_the_exit_status_is_0(tmp_path):
    root = make_tree(tmp_path)
    result = kbuild_run(root, *SPARSE, *GCC, "lib/a.c")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert [line.split(": warning:")[0] for line in lines] == ["lib/a.c:6:24", "lib/local.h:2:40"], result.stderr
    assert all(line.endswith("[SL001]") for line in lines)
    assert "    fix: cast before shifting" in result.stderr
    # every flag understood (gcc's cleaned, sparse's dropped), no parse error
    assert "clang does not know" not in result.stderr and "parse errors" not in result.stderr


def test_the_run_uses_the_cache_and_says_the_same(tmp_path):
    root = make_tree(tmp_path)
    first = kbuild_run(root, *SPARSE, *GCC, "lib/a.c")
    second = kbuild_run(root, *SPARSE, *GCC, "lib/a.c")
    assert first.stderr == second.stderr
    assert list((root / ".cache" / "signlint" / "v1").rglob("*.json"))
    off = kbuild_run(root, *SPARSE, *GCC, "--signlint-no-cache", "lib/a.c")
    assert off.stderr == first.stderr


@pytest.mark.parametrize("where", ["check", "cf", "cf-bare", "environment"])
def test_options_from_check_cf_or_the_environment(tmp_path, where):
    root = make_tree(tmp_path)
    argv, env = [*SPARSE, *GCC, "lib/a.c"], None
    if where == "check":  # CHECK="signlint kbuild --ignore SL001"
        argv = ["--ignore", "SL001", *argv]
    elif where == "cf":  # CF="--signlint-ignore=SL001" lands among sparse's flags
        argv.insert(8, "--signlint-ignore=SL001")
    elif where == "cf-bare":  # CF="--ignore SL001"
        argv[8:8] = ["--ignore", "SL001"]
    else:
        env = {"SIGNLINT_OPTS": "--ignore SL001"}
    result = kbuild_run(root, *argv, env=env)
    assert result.returncode == 0 and "[SL001]" not in result.stderr, result.stderr
    assert "clang does not know" not in result.stderr
    assert "[SL001]" in kbuild_run(root, "--signlint-select=SL001", *SPARSE, *GCC, "lib/a.c").stderr


@pytest.mark.parametrize("argv, env, message", [
    ([], None, "no C source file at the end of the command line"),
    (["-O2", "-D__KERNEL__"], None, "no C source file"),
    (["lib/missing.c"], None, "no such file: lib/missing.c"),
    (["--signlint-select=SL999", "lib/a.c"], None, "unknown rule code SL999"),
    (["--signlint-colour=yes", "lib/a.c"], None, "unknown option '--colour'"),
    (["lib/a.c", "--select"], None, "option '--select' needs a value"),
    (["lib/a.c"], {"SIGNLINT_OPTS": "--bogus"}, "SIGNLINT_OPTS: '--bogus' is not a signlint option"),
    (["lib/a.c"], {"SIGNLINT_OPTS": "--select 'SL001"}, "SIGNLINT_OPTS cannot be split into words"),
])
def test_a_broken_invocation_is_one_line_and_exit_2(tmp_path, argv, env, message):
    root = make_tree(tmp_path)
    result = kbuild_run(root, *argv, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("signlint: error: kbuild: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_parse_errors_are_a_warning_not_a_failure(tmp_path):
    root = make_tree(tmp_path)
    (root / "lib" / "broken.c").write_text('#include "nowhere.h"\nunsigned long f(unsigned char b) '
                                           "{ return b << 24; }\n")
    result = kbuild_run(root, *SPARSE, "lib/broken.c")
    assert result.returncode == 0
    assert "lib/broken.c: parse errors, results may be incomplete" in result.stderr
    assert "lib/broken.c:2:" in result.stderr  # the rest is analysed
    summary = ("signlint: warning: analysis incomplete, findings may be missing: "
               "1 file(s) with parse errors (lib/broken.c)")
    assert summary in result.stderr.splitlines()
    quiet = kbuild_run(root, *SPARSE, "--signlint-quiet", "lib/broken.c")
    assert quiet.returncode == 0
    # --quiet drops the clang diagnostic, never the summary line
    assert "results may be incomplete" not in quiet.stderr and "lib/broken.c:2:" in quiet.stderr
    assert summary in quiet.stderr.splitlines()


def test_sparse_flags_are_dropped_and_gcc_flags_cleaned():
    invocation = kbuild.parse([*SPARSE, *GCC, "--signlint-ignore=SL003", "lib/a.c"])
    assert invocation.source == "lib/a.c" and invocation.ignore == "SL003"
    for sparse_only in ("--arch=x86", "-mlittle-endian", "-D__STDC__"):
        assert sparse_only not in invocation.flags
    assert invocation.flags[:2] == ["-D__linux__", "-Dlinux"] and "-m64" in invocation.flags


def kbuild_probe(root, modules, *options, env=None):
    """`signlint kbuild` on lib/a.c in a process that then prints its exit status
    and which of modules it had loaded: '0 []' when none."""
    probe = ("import sys\nfrom signlint.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as done:\n    code = done.code\n"
             f"print(code, sorted(m for m in {tuple(modules)!r} if m in sys.modules))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(root / ".cache"), **(env or {})}
    return subprocess.run([sys.executable, "-c", probe, "kbuild", *options, *SPARSE, *GCC, "lib/a.c"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_kbuild_mode_loads_neither_click_nor_the_report_formats(tmp_path):
    result = kbuild_probe(make_tree(tmp_path), ("click", "signlint.run.commands", "signlint.report.formats",
                                                "signlint.decide.config", "signlint.decide.baseline", "jsonschema",
                                                "signlint.run.schedule", "signlint.run.parallel", "multiprocessing"))
    assert result.stdout.strip() == "0 []", result.stdout + result.stderr
    assert "lib/a.c:6:24: warning:" in result.stderr


def test_a_cached_call_loads_neither_libclang_nor_the_analysis(tmp_path):
    """make runs one process per file: a file whose result is cached pays for the
    lookup only, and prints what the analysing call printed."""
    root = make_tree(tmp_path)
    first = kbuild_run(root, *SPARSE, *GCC, "lib/a.c")
    analysis = ("clang.cindex", "signlint.front.libclang", "signlint.front.translation_unit", "signlint.run.engine",
                "signlint.analysis.values", "signlint.analysis.context", "signlint.checks.sl001",
                "signlint.front.source")
    cached = kbuild_probe(root, analysis)
    assert cached.stdout.strip() == "0 []", cached.stdout + cached.stderr
    assert cached.stderr == first.stderr and "lib/a.c:6:24: warning:" in cached.stderr
    (root / "lib" / "local.h").write_text('#include "types.h"\n')  # a miss analyses again
    missed = kbuild_probe(root, analysis)
    assert "signlint.run.engine" in missed.stdout and "lib/local.h" not in missed.stderr


def test_command_strings_split_as_shlex_does():
    import random
    import shlex

    from signlint.front.compdb import split_command

    for command in ["gcc -DKBUILD_MODFILE='\"lib/a\"' -c a.c", 'cc "-DX=\\"y z\\"" a\\ b.c', "a 'b' \"c\\d\" e#f"]:
        assert split_command(command) == shlex.split(command)
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice("ab '\"\\ \n$#\t") for _ in range(rng.randint(0, 12)))
        try:
            want = shlex.split(text)
        except ValueError:
            want = None
        try:
            got = split_command(text)
        except ValueError:
            got = None
        assert got == want, repr(text)
