"""The adoption options end to end, as a CI job or a pre-commit hook runs them."""

from __future__ import annotations

import json
import subprocess

from conftest import run_cli

BUGGY = "#include <stdint.h>\nuint64_t f(uint8_t b) { return b << 24; }\n"


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def test_sarif_to_a_file_and_exit_codes(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    out = tmp_path / "report.sarif"
    result = run_cli("check", "--output-format", "sarif", "-o", str(out), "bad.c", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    doc = json.loads(out.read_text())
    [res] = doc["runs"][0]["results"]
    assert res["ruleId"] == "SL001" and res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.c"
    assert run_cli("check", "--exit-zero", "bad.c", cwd=tmp_path).returncode == 0


def test_github_annotations_and_step_summary(tmp_path, monkeypatch):
    (tmp_path / "bad.c").write_text(BUGGY)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run_cli("check", "--format", "github", "bad.c", cwd=tmp_path)
    assert result.stdout.startswith("::warning file=bad.c,line=2,col=32,")
    assert "SL001" in summary.read_text()


def test_statistics(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY + "uint64_t g(uint8_t b) { return b << 24; }\n")
    result = run_cli("check", "--statistics", "bad.c", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.split("\t")[:2] == ["    2", "SL001"]


def test_inline_suppressions_and_the_bare_ignore_hint(tmp_path):
    (tmp_path / "s.c").write_text(
        "#include <stdint.h>\n"
        "uint64_t f(uint8_t b) { return b << 24; } /* signlint: ignore[SL001] checked by caller */\n"
        "// NOLINTNEXTLINE(signlint-SL001)\n"
        "uint64_t g(uint8_t b) { return b << 24; }\n"
        "uint64_t h(uint8_t b) { return b << 24; } // signlint: ignore\n"
        "uint64_t k(uint8_t b) { return (uint64_t)b << 24; } // signlint: ignore[SL001]\n")
    result = run_cli("check", "--show-unused-suppressions", "s.c", cwd=tmp_path)
    assert result.returncode == 1
    assert [line.split(":")[1] for line in result.stdout.splitlines() if "warning:" in line] == ["5"]
    assert "s.c:5: warning: signlint: ignore needs a rule list, e.g. signlint: ignore[SL001]" in result.stderr
    assert "s.c:6: warning: unused suppression" in result.stderr


def test_configuration_file(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    (tmp_path / "pyproject.toml").write_text('[tool.signlint]\nignore = ["SL001"]\n')
    assert run_cli("check", "bad.c", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--select", "SL001", "bad.c", cwd=tmp_path).returncode == 1  # the command line wins
    (tmp_path / "pyproject.toml").write_text('[tool.signlint]\nselcet = ["SL001"]\n')
    result = run_cli("check", "bad.c", cwd=tmp_path)
    assert result.returncode == 2 and "selcet" in result.stderr and "Traceback" not in result.stderr


def test_baseline_then_only_new_findings(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    assert run_cli("check", "--baseline", "known.json", "--update-baseline", "bad.c", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--baseline", "known.json", "bad.c", cwd=tmp_path).returncode == 0
    (tmp_path / "bad.c").write_text("/* moved */\n\n" + BUGGY + "uint64_t g(uint8_t b) { return b << 24; }\n")
    result = run_cli("check", "--baseline", "known.json", "bad.c", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout.count("warning:") == 1 and "bad.c:5:" in result.stdout


def test_changed_lines_only(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "bad.c").write_text(BUGGY)
    git(tmp_path, "add", "bad.c")
    git(tmp_path, "commit", "-qm", "old code")
    (tmp_path / "bad.c").write_text(BUGGY + "uint64_t g(uint8_t b) { return b << 24; }\n")
    result = run_cli("check", "--diff-base", "HEAD", "bad.c", cwd=tmp_path)
    assert result.stdout.count("warning:") == 1 and "bad.c:3:" in result.stdout
    git(tmp_path, "add", "bad.c")
    assert run_cli("check", "--diff-base", "HEAD", "--staged", "bad.c", cwd=tmp_path).stdout.count("warning:") == 1
    bad_ref = run_cli("check", "--diff-base", "no-such-ref", "bad.c", cwd=tmp_path)
    assert bad_ref.returncode == 2 and "no-such-ref" in bad_ref.stderr


def test_staged_judges_the_staged_text_not_the_working_copy(tmp_path):
    """Issue 11.5: a staged bug, then an unstaged edit that moves it and adds a
    second one, and an unstaged fix of a staged bug in another file."""
    git(tmp_path, "init", "-q")
    (tmp_path / "a.c").write_text("#include <stdint.h>\n")
    (tmp_path / "fixed.c").write_text("#include <stdint.h>\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "a.c").write_text(BUGGY + "// signlint: ignore\n")
    (tmp_path / "fixed.c").write_text(BUGGY)
    git(tmp_path, "add", ".")
    (tmp_path / "a.c").write_text("/* two\n   lines */\n" + BUGGY + "uint64_t g(uint8_t b) { return b << 24; }\n")
    (tmp_path / "fixed.c").write_text(BUGGY.replace("b << 24", "(uint64_t)b << 24"))
    result = run_cli("check", "--no-cache", "--format", "json", "--diff-base", "HEAD", "--staged", "a.c", "fixed.c",
                     cwd=tmp_path)
    found = sorted((f["path"], f["line"]) for f in json.loads(result.stdout)["findings"])
    assert found == [("a.c", 2), ("fixed.c", 2)] and result.returncode == 1
    # The staged text's bare 'signlint: ignore' is seen, not the working copy's lack of it.
    assert "a.c:3: warning: signlint: ignore needs a rule list" in result.stderr
    text = run_cli("check", "--no-cache", "--diff-base", "HEAD", "--staged", "a.c", cwd=tmp_path).stdout
    assert text.splitlines()[1] == BUGGY.splitlines()[1]  # the staged line is quoted
    refused = run_cli("check", "--fix", "--diff-base", "HEAD", "--staged", "a.c", cwd=tmp_path)
    assert refused.returncode == 2 and "has unstaged edits" in refused.stderr
    assert "two" in (tmp_path / "a.c").read_text()


def test_extra_arg_option_for_tools_that_append_files(tmp_path):
    (tmp_path / "ulong.c").write_text("unsigned long f(unsigned char b) { return b << 24; }\n")
    assert run_cli("check", "--extra-arg=-m32", "ulong.c", cwd=tmp_path).returncode == 0
    assert run_cli("check", "ulong.c", cwd=tmp_path).returncode == 1


# --- an incomplete analysis is never a pass (issue 11 item 1) ------------------------------------

MISSING_HEADER = '#include "nowhere.h"\n' + BUGGY


def test_a_file_with_parse_errors_fails_with_status_3_and_a_summary_naming_it(tmp_path):
    (tmp_path / "broken.c").write_text(MISSING_HEADER)
    (tmp_path / "good.c").write_text("int f(void) { return 0; }\n")
    result = run_cli("check", "broken.c", "good.c", cwd=tmp_path)
    assert result.returncode == 3
    assert "broken.c:3:" in result.stdout  # the rest of the file is still analysed and reported
    assert ("signlint: error: analysis incomplete, findings may be missing: 1 file(s) with parse errors "
            "(broken.c) (exit status 3; --allow-incomplete accepts this); no compile database was found "
            "for some files: give one with -p, or the flags after -- (e.g. -- -Iinclude); -v shows what was "
            "searched") in result.stderr.splitlines()
    # --exit-zero is about findings: it does not hide an incomplete analysis
    assert run_cli("check", "--exit-zero", "broken.c", cwd=tmp_path).returncode == 3


def test_allow_incomplete_keeps_the_summary_and_decides_by_the_findings(tmp_path):
    (tmp_path / "broken.c").write_text(MISSING_HEADER)
    allowed = run_cli("check", "--allow-incomplete", "broken.c", cwd=tmp_path)
    assert allowed.returncode == 1
    assert "signlint: warning: analysis incomplete, findings may be missing" in allowed.stderr
    assert run_cli("check", "--allow-incomplete", "--exit-zero", "broken.c", cwd=tmp_path).returncode == 0
    (tmp_path / "signlint.toml").write_text("allow-incomplete = true\n")
    assert run_cli("check", "broken.c", cwd=tmp_path).returncode == 1


def test_a_folder_without_c_files_is_an_input_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("no C here\n")
    result = run_cli("check", "docs", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "signlint: error: no C files (*.c, *.h) found under docs\n"


def test_a_named_file_of_another_suffix_is_parsed_as_c(tmp_path):
    (tmp_path / "table.inc").write_text(BUGGY)
    result = run_cli("check", "table.inc", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("table.inc:2:")
