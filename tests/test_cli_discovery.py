"""Compile-database discovery, --verbose and --quiet (issue 11, item 3)."""

from __future__ import annotations

import json
import os

import pytest
from conftest import run_cli

from signlint.front import compdb

# long is 64 bits only when the database's -DWIDE is seen: a finding proves the database was used.
CODE = "#ifdef WIDE\ntypedef unsigned long long wide_t;\n#else\ntypedef unsigned int wide_t;\n#endif\n" \
       "wide_t f(unsigned char b) { return b << 24; }\n"


def project(tmp_path, build_folder: str):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.c").write_text(CODE)
    folder = tmp_path / build_folder
    folder.mkdir(parents=True)
    db = [{"directory": str(tmp_path / "src"), "file": "a.c", "arguments": ["cc", "-DWIDE", "-c", "a.c"]}]
    (folder / "compile_commands.json").write_text(json.dumps(db))
    return tmp_path / "src" / "a.c"


@pytest.mark.parametrize("build_folder", ["build", "builddir", "_build", "out", "cmake-build-debug", "build-gcc"])
def test_a_database_in_a_usual_build_folder_is_found(tmp_path, build_folder):
    source = project(tmp_path, build_folder)
    assert compdb.find_database(str(source)) == str(tmp_path / build_folder / "compile_commands.json")
    result = run_cli("check", "--no-cache", str(source))
    assert result.returncode == 1 and "a.c:6:" in result.stdout


def test_of_two_configurations_the_last_built_is_used(tmp_path):
    project(tmp_path, "cmake-build-release")
    release = tmp_path / "cmake-build-release" / "compile_commands.json"
    debug = tmp_path / "cmake-build-debug" / "compile_commands.json"
    debug.parent.mkdir()
    debug.write_text("[]")
    older = os.stat(debug).st_mtime_ns - 10**9
    os.utime(release, ns=(older, older))
    assert compdb.find_database(str(tmp_path / "src")) == str(debug)
    os.utime(debug, ns=(older - 10**9, older - 10**9))
    assert compdb.find_database(str(tmp_path / "src")) == str(release)


def test_verbose_names_the_database_the_skipped_files_and_the_flags(tmp_path):
    source = project(tmp_path, "build")
    (tmp_path / "src" / "other_arch.c").write_text("int g(void) { return 0; }\n")
    result = run_cli("check", "--no-cache", "-v", str(tmp_path / "src"), cwd=tmp_path)
    lines = result.stderr.splitlines()
    assert "signlint: compile database: build/compile_commands.json" in lines
    assert "signlint: skipped, not in the compile database: src/other_arch.c" in lines
    [flags] = [line for line in lines if line.startswith("signlint: clang arguments for src/a.c: ")]
    assert "-DWIDE" in flags and "-c" not in flags.split()
    assert result.returncode == 1 and source.name in result.stdout


def test_verbose_without_a_database_says_what_was_searched_and_the_flags(tmp_path):
    (tmp_path / "a.c").write_text('#include "missing.h"\n' + CODE)
    result = run_cli("check", "--no-cache", "-v", "a.c", "--", "-DWIDE", cwd=tmp_path)
    lines = result.stderr.splitlines()
    [line] = [x for x in lines if "had no compile database" in x]
    assert "cmake-build-*/" in line and line.endswith("parsed with the default flags: -DWIDE -w")
    assert "signlint: parse errors: a.c" in lines
    # The failing summary says how to give the flags.
    assert result.returncode == 3 and "no compile database was found for some files: give one with -p" in lines[-1]


def test_quiet_prints_the_report_and_the_failure_only(tmp_path):
    (tmp_path / "a.c").write_text('#include "missing.h"\n' + CODE + "/* signlint: ignore */\n")
    loud = run_cli("check", "--no-cache", "a.c", cwd=tmp_path)
    quiet = run_cli("check", "--no-cache", "-q", "a.c", cwd=tmp_path)
    assert "results may be incomplete" in loud.stderr and "signlint: ignore needs a rule list" in loud.stderr
    assert quiet.stdout == loud.stdout and quiet.returncode == loud.returncode == 3
    [line] = quiet.stderr.splitlines()  # never silent: the incomplete analysis is said
    assert line.startswith("signlint: error: analysis incomplete")


def test_verbose_and_quiet_together_are_a_usage_error(tmp_path):
    (tmp_path / "a.c").write_text(CODE)
    assert run_cli("check", "-v", "-q", "a.c", cwd=tmp_path).returncode == 2


def test_the_footer_counts_findings_and_fixes_and_quiet_drops_it(tmp_path):
    (tmp_path / "a.c").write_text(CODE)
    loud = run_cli("check", "--no-cache", "a.c", "--", "-DWIDE", cwd=tmp_path).stdout.splitlines()
    quiet = run_cli("check", "--no-cache", "-q", "a.c", "--", "-DWIDE", cwd=tmp_path).stdout.splitlines()
    assert loud[-1] == "Found 1 finding(s); 1 fixable with --fix." and quiet == loud[:-1]
