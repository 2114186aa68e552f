"""The command line as users run it: exit codes, formats, flags, files, fixes."""

from __future__ import annotations

import json

from conftest import ROOT, run_cli

BUGGY = "#include <stdint.h>\nuint64_t f(uint8_t b) { return b << 24; }\n"
CLEAN = "#include <stdint.h>\nuint64_t f(uint8_t b) { return (uint64_t)b << 24; }\n"


def test_bundled_example_shows_the_desc64_finding_with_caret_and_fix():
    result = run_cli("check", "examples/desc64.c", cwd=ROOT)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("examples/desc64.c:23:43: warning: 'desc->base2' (8-bit unsigned bit-field)")
    assert lines[0].endswith("[SL001]")
    assert "'uint64_t'" in lines[0]
    assert lines[1].strip() == "(desc->base0 | ((desc->base1) << 16) | ((desc->base2) << 24));"
    assert lines[2].strip() == "^" + "~" * (len("(desc->base2) << 24") - 1)
    assert lines[2].index("^") == lines[1].index("(desc->base2)")
    assert lines[3].strip() == "fix: cast before shifting: (uint64_t)(desc->base2) << 24"
    assert sum(1 for line in lines if "warning:" in line) == 1


def test_exit_codes(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    (tmp_path / "good.c").write_text(CLEAN)
    assert run_cli("check", str(tmp_path / "good.c")).returncode == 0
    assert run_cli("check", str(tmp_path / "bad.c")).returncode == 1
    missing = run_cli("check", str(tmp_path / "nope.c"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"signlint: error: no such file or directory: {tmp_path / 'nope.c'}"
    assert "Traceback" not in missing.stderr
    unknown = run_cli("check", "--select", "SL999", str(tmp_path / "bad.c"))
    assert unknown.returncode == 2 and "SL999" in unknown.stderr
    assert run_cli("check", "--ignore", "SL001", str(tmp_path / "bad.c")).returncode == 0


def test_unreadable_file_is_an_input_error(tmp_path, monkeypatch):
    import builtins

    import pytest

    from signlint.front.files import InputError, discover

    path = tmp_path / "locked.c"
    path.write_text(BUGGY)
    real_open = builtins.open

    def deny(file, *args, **kwargs):  # root reads any mode bits, so refuse here instead
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    with pytest.raises(InputError, match="cannot read .*locked.c: Permission denied"):
        discover([str(path)])


def test_json_output(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    result = run_cli("check", "--format", "json", str(tmp_path / "bad.c"))
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["signlint_version"] and doc["libclang_version"].startswith("clang version")
    [finding] = doc["findings"]
    assert (finding["rule"], finding["line"], finding["column"]) == ("SL001", 2, 32)
    assert finding["function"] == "f"
    offset = len("#include <stdint.h>\n") + 31
    assert finding["fix"]["edits"] == [{"path": finding["path"], "start_offset": offset, "end_offset": offset,
                                        "text": "(uint64_t)"}]


def test_diff_prints_and_changes_nothing(tmp_path):
    path = tmp_path / "bad.c"
    path.write_text(BUGGY)
    result = run_cli("check", "--diff", str(path))
    assert result.returncode == 1
    assert "-uint64_t f(uint8_t b) { return b << 24; }" in result.stdout
    assert "+uint64_t f(uint8_t b) { return (uint64_t)b << 24; }" in result.stdout
    assert path.read_text() == BUGGY


def test_fix_rewrites_and_then_the_file_is_clean(tmp_path):
    path = tmp_path / "bad.c"
    path.write_text(BUGGY)
    assert run_cli("check", "--fix", str(path)).returncode == 0
    assert path.read_text() == CLEAN
    assert run_cli("check", str(path)).returncode == 0
    assert [p.name for p in tmp_path.iterdir()] == ["bad.c"]  # no temporary file left behind


def test_fix_is_refused_when_the_result_would_not_parse(tmp_path):
    # The sink's typedef is declared inside the function, after the macro that
    # spells the shift; the cast the fix puts in the macro body names it where
    # it is not visible to the first expansion.
    code = ("#include <stdint.h>\n"
            "#define HI(b) ((b) << 24)\n"
            "uint32_t early(uint8_t b) { return HI(b); }\n"
            "uint64_t late(uint8_t b) { typedef uint64_t wide_t; wide_t w = HI(b); return w; }\n")
    path = tmp_path / "macro.c"
    path.write_text(code)
    result = run_cli("check", "--fix", str(path))
    assert result.returncode == 1
    assert "does not parse" in result.stderr
    assert path.read_text() == code


def test_extra_compiler_arguments_after_double_dash(tmp_path):
    path = tmp_path / "ulong.c"
    path.write_text("unsigned long f(unsigned char b) { return b << 24; }\n")
    assert run_cli("check", str(path)).returncode == 1
    assert run_cli("check", str(path), "--", "-m32").returncode == 0


def test_parse_errors_are_reported_and_the_rest_is_analysed(tmp_path):
    path = tmp_path / "broken.c"
    path.write_text('#include "missing.h"\n' + BUGGY)
    result = run_cli("check", str(path))
    assert result.returncode == 3  # incomplete: not a pass
    assert "broken.c:3:" in result.stdout  # the rest is analysed
    assert "results may be incomplete" in result.stderr and "'missing.h' file not found" in result.stderr
    assert result.stderr.count("\n") == 2 and "analysis incomplete" in result.stderr.splitlines()[1]


def test_compile_commands_with_command_strings_and_gcc_only_flags(tmp_path):
    src = tmp_path / "src"
    (src / "inc").mkdir(parents=True)
    (src / "inc" / "wide.h").write_text("typedef unsigned long long wide_t;\n")
    (src / "a.c").write_text('#include "wide.h"\nwide_t f(unsigned char b) { return b << 24; }\n')
    (src / "b.c").write_text('#include "wide.h"\nint g(void) { int unused; return 0; }\n')
    gcc_only = "-mpreferred-stack-boundary=3 -mindirect-branch=thunk-extern -fconserve-stack -Werror -Wall"
    db = [
        {"directory": str(src), "file": "a.c", "command": f"gcc -c -Iinc {gcc_only} -o a.o a.c"},
        {"directory": str(src), "file": "b.c", "arguments": ["gcc", "-c", "-Iinc", "-Werror", "-Wall", "b.c"]},
    ]
    (tmp_path / "compile_commands.json").write_text(json.dumps(db))
    result = run_cli("check", "-p", str(tmp_path), str(src))
    assert result.stderr == ""  # every flag understood, no parse error
    assert result.returncode == 1
    assert "a.c:2:" in result.stdout and "'wide_t'" in result.stdout
    # Found without -p too: searched upward from the path.
    assert run_cli("check", str(src / "a.c")).returncode == 1


def test_bad_compile_database_is_an_input_error(tmp_path):
    (tmp_path / "compile_commands.json").write_text("{not json")
    (tmp_path / "a.c").write_text(CLEAN)
    result = run_cli("check", "-p", str(tmp_path), str(tmp_path / "a.c"))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr and "Traceback" not in result.stderr


def test_header_findings_once_across_translation_units(tmp_path):
    (tmp_path / "inline.h").write_text(
        "#include <stdint.h>\nstatic inline uint64_t hi(const uint8_t *p) { return p[0] << 24; }\n")
    for name in ("a.c", "b.c"):
        use = f"uint64_t use_{name[0]}(const uint8_t *p) {{ return hi(p); }}\n"
        (tmp_path / name).write_text('#include "inline.h"\n' + use)
    result = run_cli("check", str(tmp_path))
    assert result.stdout.count("warning:") == 1
    assert "inline.h:2:" in result.stdout


def test_header_named_alone_is_parsed_alone(tmp_path):
    (tmp_path / "only.h").write_text(BUGGY)
    result = run_cli("check", str(tmp_path / "only.h"))
    assert result.returncode == 1 and "only.h:2:" in result.stdout


def test_findings_only_in_files_asked_for(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "hi.h").write_text(
        "#include <stdint.h>\nstatic inline uint64_t hi(uint8_t b) { return b << 24; }\n")
    (tmp_path / "main.c").write_text('#include "lib/hi.h"\nuint64_t f(uint8_t b) { return hi(b); }\n')
    result = run_cli("check", str(tmp_path / "main.c"))
    assert result.returncode == 0, result.stdout
    assert run_cli("check", str(tmp_path)).returncode == 1


def test_rule_command_prints_the_document():
    result = run_cli("rule", "SL001")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "rules" / "SL001.md").read_text()
    assert run_cli("rule", "SL999").returncode == 2


def test_version_names_libclang():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("signlint ") and "libclang clang version" in result.stdout


def test_usage_error_exit_status():
    result = run_cli("check")
    assert result.returncode == 2
    result = run_cli("check", "--fix", "--diff", "x.c")
    assert result.returncode == 2
    assert "--fix and --diff cannot be used together" in result.stderr


def test_header_alone_borrows_the_flags_of_its_nearest_source(tmp_path):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "types.h").write_text("typedef unsigned long long wide_t;\n")
    (tmp_path / "a.c").write_text('#include "api.h"\n')
    (tmp_path / "api.h").write_text('#include "types.h"\nstatic inline wide_t f(unsigned char b) { return b << 24; }\n')
    db = [{"directory": str(tmp_path), "file": "a.c", "arguments": ["cc", "-Iinc", "-c", "a.c"]}]
    (tmp_path / "compile_commands.json").write_text(json.dumps(db))
    result = run_cli("check", str(tmp_path / "api.h"))
    assert result.stderr == ""
    assert result.returncode == 1 and "'wide_t'" in result.stdout


def test_an_internal_error_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "a.c").write_text(BUGGY)
    (tmp_path / "b.c").write_text(BUGGY.replace("f(", "g("))
    # Make the analysis itself fail on a.c only, as a bug in signlint would.
    hook = tmp_path / "sitecustomize.py"
    hook.write_text(
        "import signlint.run.engine as e\n"
        "real = e.Engine.analyze\n"
        "def broken(self, path, wanted, unsaved=None):\n"
        "    if path.endswith('a.c'):\n"
        "        raise ValueError('boom')\n"
        "    return real(self, path, wanted, unsaved)\n"
        "e.Engine.analyze = broken\n")
    import os
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    result = subprocess.run([sys.executable, "-m", "signlint", "check", str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "a.c: internal error (ValueError: boom); please report this" in result.stderr
    assert "b.c:2:" in result.stdout  # the other file was still analysed


def test_unknown_compiler_arguments_are_named_once_not_parse_errors(tmp_path):
    for name in ("a.c", "b.c"):
        (tmp_path / name).write_text(CLEAN.replace("f(", name[0] + "("))
    result = run_cli("check", str(tmp_path), "--", "-fno-such-gcc-flag")
    assert result.returncode == 0
    assert result.stderr == "signlint: warning: clang does not know the argument '-fno-such-gcc-flag'; it was ignored\n"


def test_folder_scan_with_a_database_skips_what_the_build_does_not_compile(tmp_path):
    (tmp_path / "built.c").write_text(BUGGY)
    (tmp_path / "other_arch.c").write_text(BUGGY.replace("f(", "g("))
    (tmp_path / "unused.h").write_text(BUGGY.replace("f(", "h("))
    db = [{"directory": str(tmp_path), "file": "built.c", "arguments": ["cc", "-c", "built.c"]}]
    (tmp_path / "compile_commands.json").write_text(json.dumps(db))
    result = run_cli("check", str(tmp_path))
    assert result.stdout.count("warning:") == 1 and "built.c:2:" in result.stdout
    assert "2 file(s) under the named folders are not in the compile database" in result.stderr
    # Named explicitly, they are analysed.
    assert "other_arch.c:2:" in run_cli("check", str(tmp_path / "other_arch.c")).stdout


def test_header_found_through_a_relative_include_path_is_reported_at_its_real_path(tmp_path):
    src = tmp_path / "tree"
    (src / "include").mkdir(parents=True)
    (src / "include" / "hi.h").write_text(
        "#include <stdint.h>\nstatic inline uint64_t hi(uint8_t b) { return b << 24; }\n")
    (src / "main.c").write_text('#include "hi.h"\nuint64_t f(uint8_t b) { return hi(b); }\n')
    db = [{"directory": str(src), "file": "main.c", "command": "cc -I./include -c main.c"}]
    (src / "compile_commands.json").write_text(json.dumps(db))
    result = run_cli("check", str(src), cwd=tmp_path)  # clang runs in tree/, signlint in its parent
    assert result.stderr == ""
    assert result.stdout.startswith("tree/include/hi.h:2:")
