"""The command line: `signlint check`, `signlint rule`, `signlint --version`.

Exit status: 0 clean, 1 findings remain, 2 usage or input errors.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .checks import DEFAULT_RULES, RULES
from .compdb import DatabaseError
from .engine import Engine, Options
from .files import InputError, discover
from .fix import plan, unified_diff, verify_and_apply
from .frontend import FrontendError, libclang_version
from .output import display_path, format_json, format_text
from .rule_docs import rule_document

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(text: str, option: str) -> set[str]:
    codes = {c.strip().upper() for c in text.split(",") if c.strip()}
    if "ALL" in codes:
        return set(RULES)
    unknown = sorted(codes - set(RULES))
    if unknown:
        raise click.BadParameter(f"unknown rule code {', '.join(unknown)} (known: {', '.join(sorted(RULES))})",
                                 param_hint=option)
    return codes


def _version_text() -> str:
    return f"signlint {__version__} (libclang {libclang_version()})"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, message=_version_text())
def cli() -> None:
    """Find sign-extension bugs in C sources, and fix them."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-p", "--compile-commands", metavar="FILE|DIR",
              help="compile_commands.json (or its folder); default: searched upward from each path and in build/.")
@click.option("--select", default="", metavar="CODES", help="Rules to run, comma-separated, or ALL.")
@click.option("--ignore", default="", metavar="CODES", help="Rules not to run, comma-separated.")
@click.option("--fix", "fix_", is_flag=True, help="Rewrite files with the fixes (each file verified first).")
@click.option("--diff", "diff_", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def check(ctx: click.Context, paths, compile_commands, select, ignore, fix_, diff_, format_) -> None:
    """Check C files and folders (*.c, *.h). Compiler arguments go after `--`."""
    if fix_ and diff_:
        raise click.UsageError("--fix and --diff cannot be used together")
    rules = (_codes(select, "--select") if select else set(DEFAULT_RULES)) - _codes(ignore, "--ignore")
    extra = (ctx.obj or {}).get("extra_args", [])
    try:
        targets = discover(list(paths))
        engine = Engine(Options(frozenset(rules), extra, compile_commands))
        report = engine.run(targets)
    except (InputError, DatabaseError, FrontendError) as exc:
        _fail(str(exc))
    for warning in report.warnings:
        click.echo(f"signlint: warning: {warning}", err=True)
    for error in report.internal_errors:
        click.echo(f"signlint: error: {error}; please report this", err=True)

    remaining = report.findings
    if fix_ or diff_:
        fixed_keys = set()
        for file_fix in plan(report.findings):
            verify_and_apply(engine, targets.wanted, file_fix, write=fix_)
            shown = display_path(file_fix.path)
            if file_fix.error:
                click.echo(f"signlint: warning: {shown}: {file_fix.error}", err=True)
                continue
            if diff_:
                click.echo(unified_diff(file_fix, shown), nl=False)
            else:
                fixed_keys.update(f.key for f in file_fix.findings)
                click.echo(f"signlint: fixed {len(file_fix.findings)} finding(s) in {shown}", err=True)
        remaining = [f for f in report.findings if f.key not in fixed_keys]

    if format_ == "json":
        click.echo(format_json(remaining), nl=False)
    elif not diff_:
        click.echo(format_text(remaining), nl=False)
    if report.internal_errors:
        ctx.exit(EXIT_ERROR)
    ctx.exit(EXIT_FINDINGS if remaining else EXIT_CLEAN)


@cli.command()
@click.argument("code")
def rule(code: str) -> None:
    """Print a rule's document (what it flags, why, examples, the fix)."""
    code = code.upper()
    if code not in RULES:
        _fail(f"unknown rule {code} (known: {', '.join(sorted(RULES))})")
    click.echo(rule_document(code), nl=False)


def _fail(message: str) -> None:
    click.echo(f"signlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def split_extra(argv: list[str]) -> tuple[list[str], list[str]]:
    """Everything after the first `--` is for the compiler."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def main(argv: list[str] | None = None) -> None:
    args, extra = split_extra(list(sys.argv[1:] if argv is None else argv))
    cli.main(args=args, prog_name="signlint", obj={"extra_args": extra})
