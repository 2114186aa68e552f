"""scripts/action_run.py: how the GitHub Action turns its inputs into signlint runs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("action_run", ROOT / "scripts" / "action_run.py")
action_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(action_run)


def _env(**inputs: str) -> dict[str, str]:
    env = {"SIGNLINT": "signlint"}
    env.update({f"SIGNLINT_{k.upper()}": v for k, v in inputs.items()})
    return env


def test_paths_as_a_block_list_with_quotes_and_comments():
    runs, messages = action_run.commands(_env(paths='src\n"my dir/a.c"  # the odd one\ninclude\n'))
    assert runs == [["signlint", "check", "src", "my dir/a.c", "include", "--format", "github"]]
    assert messages == []


def test_no_paths_means_the_checkout():
    runs, _ = action_run.commands(_env(paths="  \n"))
    assert runs[0][2] == "."


def test_args_are_split_as_a_shell_would_and_compiler_arguments_stay_last():
    runs, _ = action_run.commands(_env(paths="src", args="-p build\n--select 'SL001,SL004' -- -DX='a b'"))
    assert runs[-1] == ["signlint", "check", "src", "--format", "github",
                        "-p", "build", "--select", "SL001,SL004", "--", "-DX=a b"]


def test_sarif_with_changed_lines_only_writes_the_whole_report():
    runs, messages = action_run.commands(_env(paths=".", sarif="out.sarif", changed_only="true",
                                              base_sha="abc123"))
    sarif_run, annotated_run = runs
    assert "--diff-base" not in sarif_run and sarif_run[-3:] == ["--output", "out.sarif", "--exit-zero"]
    assert annotated_run[3:5] == ["--diff-base", "abc123"]
    assert any("SARIF report holds every finding" in m for m in messages)


def test_changed_lines_only_outside_a_pull_request_checks_everything():
    runs, messages = action_run.commands(_env(changed_only="true", base_sha=""))
    assert all("--diff-base" not in run for run in runs)
    assert messages and messages[0].startswith("::notice")


def test_an_unbalanced_quote_is_one_error_line_and_exit_status_2(tmp_path, capsys):
    output = tmp_path / "github_output"
    status = action_run.main({**_env(args="--select 'SL001"), "GITHUB_OUTPUT": str(output)})
    assert status == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("::error title=signlint::input 'args'")
    assert output.read_text() == "exit-code=2\n"


@pytest.mark.parametrize("findings, expected", [(False, 0), (True, 1)])
def test_main_runs_signlint_and_reports_its_status(tmp_path, capsys, findings, expected):
    source = tmp_path / "a.c"
    body = "return (unsigned long)(b << 24);" if findings else "return b;"
    source.write_text(f"unsigned long f(unsigned char b) {{ {body} }}\n")
    output = tmp_path / "github_output"
    signlint = Path(sys.executable).with_name("signlint")
    status = action_run.main({**_env(paths=str(source)), "SIGNLINT": str(signlint),
                              "GITHUB_OUTPUT": str(output)})
    assert status == expected
    assert output.read_text() == f"exit-code={expected}\n"


def test_an_incomplete_analysis_still_writes_sarif_and_annotates(tmp_path, capfd):
    source = tmp_path / "a.c"
    source.write_text('#include "nowhere.h"\nunsigned long f(unsigned char b) { return (unsigned long)(b << 24); }\n')
    output, sarif = tmp_path / "github_output", tmp_path / "out.sarif"
    signlint = Path(sys.executable).with_name("signlint")
    status = action_run.main({**_env(paths=str(source), sarif=str(sarif)), "SIGNLINT": str(signlint),
                              "GITHUB_OUTPUT": str(output)})
    assert status == 3 and output.read_text() == "exit-code=3\n"
    assert [r["ruleId"] for r in json.loads(sarif.read_text())["runs"][0]["results"]] == ["SL001"]
    assert "::warning file=" in capfd.readouterr().out  # the annotated run was not skipped
