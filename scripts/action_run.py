"""The GitHub Action's "Run signlint" step (action.yml runs this file; standard
library only, so it works with whichever signlint `version:` installed).

Inputs arrive as the environment variables action.yml sets:
  SIGNLINT               the signlint executable
  SIGNLINT_PATHS         files and folders: on one line or one per line (a YAML `|` block),
                         quoted as in a shell where a name has spaces
  SIGNLINT_ARGS          more `signlint check` arguments, split as a shell would (shlex):
                         quotes are honoured, and every line of a block counts
  SIGNLINT_SARIF         write SARIF to this file as well
  SIGNLINT_CHANGED_ONLY  "true": annotate only lines changed since SIGNLINT_BASE_SHA
  SIGNLINT_BASE_SHA      the pull request's base commit ('' outside pull requests)
  GITHUB_OUTPUT          where the step's `exit-code` output is written

With SARIF and changed-lines-only, the SARIF report is the whole one: code
scanning compares it with the base branch's analysis, and a report filtered to
the changed lines would make it close every alert elsewhere as fixed. Only the
annotations are limited to the changed lines.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

EXIT_INCOMPLETE = 3  # signlint: some file had parse errors or was not analysed; the report is still written


class InputError(Exception):
    pass


def split_input(name: str, text: str) -> list[str]:
    """Shell words of every line of an input ('#' starts a comment at a word's start)."""
    try:
        return shlex.split(text, comments=True)
    except ValueError as exc:  # an unbalanced quote
        raise InputError(f"input '{name}': {exc} in {text!r}") from None


def commands(env: dict[str, str]) -> tuple[list[list[str]], list[str]]:
    """The signlint runs to make (the last one decides the step's status) and the
    workflow-command messages to print first."""
    signlint = env.get("SIGNLINT") or "signlint"
    paths = split_input("paths", env.get("SIGNLINT_PATHS", "")) or ["."]
    args = split_input("args", env.get("SIGNLINT_ARGS", ""))
    sarif = env.get("SIGNLINT_SARIF", "").strip()
    changed_only = env.get("SIGNLINT_CHANGED_ONLY", "").strip().lower() == "true"
    base = env.get("SIGNLINT_BASE_SHA", "").strip()
    messages: list[str] = []
    changed: list[str] = []
    if changed_only:
        if base:
            changed = ["--diff-base", base]
        else:
            messages.append("::notice title=signlint::changed-lines-only: no pull request base commit; "
                            "checking all lines")
    if changed and sarif:
        messages.append("::notice title=signlint::changed-lines-only: the SARIF report holds every finding "
                        "(code scanning compares whole reports); only the annotations are limited to changed lines")
    runs = []
    # Paths come before `args`, so compiler arguments after `--` in `args` stay last.
    if sarif:
        runs.append([signlint, "check", *paths, "--format", "sarif", "--output", sarif, "--exit-zero", *args])
    runs.append([signlint, "check", *paths, *changed, "--format", "github", *args])
    return runs, messages


def _fetch_base(base: str) -> None:
    """A shallow checkout lacks the base commit: fetch just that one."""
    have = subprocess.run(["git", "cat-file", "-e", f"{base}^{{commit}}"], capture_output=True)
    if have.returncode != 0:
        subprocess.run(["git", "fetch", "--quiet", "--no-tags", "--depth=1", "origin", base])


def _set_output(env: dict[str, str], status: int) -> None:
    target = env.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"exit-code={status}\n")


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    try:
        runs, messages = commands(env)
    except InputError as exc:
        print(f"::error title=signlint::{exc}", flush=True)
        _set_output(env, 2)
        return 2
    for message in messages:
        print(message, flush=True)
    if any("--diff-base" in run for run in runs):
        _fetch_base(env["SIGNLINT_BASE_SHA"].strip())
    status = 0
    for run in runs:
        status = subprocess.run(run).returncode
        if status not in (0, EXIT_INCOMPLETE):
            break  # the SARIF run cannot fail on findings (--exit-zero): this is an error
    _set_output(env, status)
    return status


if __name__ == "__main__":
    sys.exit(main())
