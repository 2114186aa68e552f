"""signlint as a pre-commit hook (the real `pre-commit`, in a throwaway git repository) and as a
GitHub Action (action.yml's structure, and the CLI options it relies on).

The pre-commit tests build the hook's virtualenv from PyPI (libclang-ng, click, hatchling) the first
time, so they need the network and take a while; they are skipped when pre-commit is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

yaml = pytest.importorskip("yaml", reason="PyPI 'pre-commit' (which brings PyYAML) is not installed: "
                                          "pip install '.[test]'")

BUGGY = "#include <stdint.h>\nuint64_t f(uint8_t b) { return b << 24; }\n"
FIXED = "#include <stdint.h>\nuint64_t f(uint8_t b) { return (uint64_t)b << 24; }\n"
BUGGY_HEADER = "#include <stdint.h>\nstatic inline uint64_t g(uint8_t b) { return b << 24; }\n"

# Building the hook environment pip-installs signlint and libclang-ng.
SLOW = 900

# Names never copied into the hook source: VCS data, virtualenvs, caches and build outputs.
_SKIP_EVERYWHERE = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".tox"}
_SKIP_AT_ROOT = {"build", "dist"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n in _SKIP_EVERYWHERE or n.endswith(".egg-info")}
    if Path(folder).resolve() == ROOT:
        skipped |= _SKIP_AT_ROOT & set(names)
    return skipped


def _git_env(home: Path) -> dict[str, str]:
    """An environment isolated from the user's git configuration and from any enclosing git hook."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "SKIP"}
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = signlint test\n\temail = test@signlint.invalid\n"
                      "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env.update(GIT_CONFIG_GLOBAL=str(config), GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_HOME=str(home / "pre-commit"),
               PRE_COMMIT_COLOR="never", NO_COLOR="1")
    return env


def _run(args, cwd, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _git(cwd, env, *args, check=True, timeout=120) -> subprocess.CompletedProcess:
    result = _run(["git", *args], cwd, env, timeout)
    if check:
        assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory):
    """(git env, source repo path, sha): the current working tree, committed into a fresh repository."""
    pytest.importorskip("pre_commit", reason="PyPI 'pre-commit' is not installed (pip install '.[test]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    home = tmp_path_factory.mktemp("precommit-home")
    env = _git_env(home)
    src = home / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    _git(src, env, "init", "-q")
    _git(src, env, "add", "-A")
    _git(src, env, "commit", "-q", "--no-verify", "-m", "signlint working tree")
    sha = _git(src, env, "rev-parse", "HEAD").stdout.strip()
    return env, src, sha


@pytest.fixture
def project(tmp_path, hook_source):
    """A git repository whose committed .pre-commit-config.yaml uses the signlint hook; hooks installed."""
    env, src, sha = hook_source
    work = tmp_path / "project"
    work.mkdir()
    _git(work, env, "init", "-q")
    config = {"repos": [{"repo": str(src), "rev": sha, "hooks": [{"id": "signlint"}]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _git(work, env, "add", ".pre-commit-config.yaml")
    _git(work, env, "commit", "-q", "--no-verify", "-m", "pre-commit config")
    installed = _run([sys.executable, "-m", "pre_commit", "install"], work, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return work, env


def _commit(work: Path, env, *files: str) -> subprocess.CompletedProcess:
    _git(work, env, "add", *files)
    return _git(work, env, "commit", "-m", "change", check=False, timeout=SLOW)


def test_precommit_blocks_a_buggy_c_file_and_accepts_the_fix(project):
    work, env = project
    (work / "bug.c").write_text(BUGGY)
    blocked = _commit(work, env, "bug.c")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "bug.c:2:32: warning:" in output, output
    assert "[SL001]" in output and "fix: cast before shifting: (uint64_t)b << 24" in output, output
    assert _git(work, env, "rev-list", "--count", "HEAD").stdout.strip() == "1"  # nothing committed

    (work / "bug.c").write_text(FIXED)
    accepted = _commit(work, env, "bug.c")
    output = accepted.stdout + accepted.stderr
    assert accepted.returncode == 0, output
    assert "signlint" in output and "Passed" in output, output
    assert _git(work, env, "rev-list", "--count", "HEAD").stdout.strip() == "2"


def test_precommit_blocks_a_header_only_commit(project):
    work, env = project
    (work / "include").mkdir()
    (work / "include" / "bits.h").write_text(BUGGY_HEADER)
    (work / "notes.txt").write_text("not C\n")
    blocked = _commit(work, env, "include/bits.h", "notes.txt")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "include/bits.h:2:46: warning:" in output and "[SL001]" in output, output
    assert "notes.txt" not in output, output  # only C files are handed to the hook


# --- the hook manifest -------------------------------------------------------------------------


def test_hook_manifest_is_valid_and_selects_exactly_c_sources_and_headers():
    pytest.importorskip("pre_commit", reason="PyPI 'pre-commit' is not installed (pip install '.[test]')")
    from identify.identify import tags_from_filename
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "signlint" and hook["language"] == "python" and hook["entry"] == "signlint check"

    def selected(name: str) -> bool:
        tags = tags_from_filename(name) | {"file"}  # what identify adds for a regular file on disk
        return (not hook["types_or"] or bool(tags & set(hook["types_or"]))) and set(hook["types"]) <= tags

    assert selected("a.c") and selected("include/a.h")
    assert not any(selected(n) for n in ("a.cc", "a.cpp", "a.hpp", "a.hh", "a.py", "Makefile"))


# --- the GitHub Action ---------------------------------------------------------------------------


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_is_a_composite_action_with_the_documented_inputs():
    action = _action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"paths", "args", "sarif", "changed-lines-only", "version"} <= set(inputs)
    assert inputs["paths"]["default"] == "." and inputs["changed-lines-only"]["default"] == "false"
    for step in action["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step
            # Inputs reach scripts through env, never spliced into the script text.
            assert "${{" not in step["run"], step
    scripts = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    # The run step hands over to scripts/action_run.py, which builds the command lines.
    assert 'scripts/action_run.py"' in scripts
    scripts += (ROOT / "scripts" / "action_run.py").read_text()
    envs = [v for step in action["runs"]["steps"] for v in (step.get("env") or {}).values()]
    assert "${{ github.event.pull_request.base.sha }}" in envs
    assert "${{ github.action_path }}" in envs
    for option in ('"--format", "github"', '"--format", "sarif"', '"--output"', '"--diff-base"', '"--exit-zero"'):
        assert option in scripts, option


def test_the_cli_has_the_options_the_action_and_docs_use():
    usage = run_cli("check", "--help").stdout
    for option in ("--format", "--output", "--diff-base", "--exit-zero", "--compile-commands"):
        assert option in usage, option
    for fmt in ("github", "sarif", "gitlab", "rdjson"):
        assert fmt in usage, fmt
