"""The command line: `signlint check`, `signlint rule`, `signlint merge`,
`signlint cache`, `signlint --version` (`signlint kbuild` is dispatched by
signlint.cli before this module, and click, are loaded).

Exit status (as ruff, plus one): 0 nothing to report, 1 findings remain, 2 usage,
input or internal errors, 3 the analysis was incomplete (a TU with parse errors or
not analysed; --allow-incomplete accepts that). `check` runs a pipeline of separate pieces: configuration
(config), files (files), analysis (schedule running the engine, with parallel
workers, the cache and progress), what to report (config filters, suppress, baseline, changed_lines),
fixes (fix) and formatting (output, formats).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections import Counter

import click

from .. import __version__
from ..checks import RULES
from ..decide import baseline as baselines
from ..decide import changed_lines as changes
from ..decide import config as configuration
from ..decide import suppress
from ..front.compdb import PARSE_FLAGS, SEARCHED, DatabaseError, clean_flags
from ..front.files import InputError, discover
from ..front.libclang import FrontendError, libclang_version
from ..report.fingerprint import project_root
from ..report.formats import FORMATS, write_github_summary
from ..report.output import COLOR_MODES, display_path, footer, format_json, format_text, incomplete_summary, use_color
from ..report.progress import MODES, Progress
from ..report.report_file import STDOUT, write_text
from ..report.rule_docs import rule_document
from . import schedule
from .cache import Cache, default_folder
from .engine import Engine, Options
from .fix import plan, unified_diff, verify_and_apply
from .parallel import WorkerError, default_jobs
from .schedule import RunOptions

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
FORMAT_NAMES = ["text", "json", *FORMATS]
DEFAULT_TIMEOUT = 120.0  # seconds per TU


def _shard_option(ctx, param, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    k, slash, n = value.partition("/")
    if not (slash and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise click.BadParameter(f"'{value}' is not K/N with 1 <= K <= N (e.g. 1/4)", param_hint="--shard")
    return int(k), int(n)


def _line_option(ctx, param, value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    path, colon, line = value.rpartition(":")
    if not (colon and path and line.isdigit() and int(line) > 0):
        raise click.BadParameter(f"'{value}' is not PATH:LINE (e.g. drivers/foo.c:120)", param_hint="--explain-silent")
    if not os.path.isfile(path):
        raise click.BadParameter(f"'{path}' is not a file", param_hint="--explain-silent")
    return os.path.realpath(path), int(line)


def _print_line_explanation(where: tuple[str, int], lines: list[str]) -> None:
    shown = f"{display_path(where[0])}:{where[1]}"
    if not lines:
        click.echo(f"{shown}: explain: no shift, product or widening of a signed value on this line in the "
                   f"analysed functions (is the file among the paths, and the line inside a function?)")
        return
    click.echo(f"{shown}: explain:")
    for line in dict.fromkeys(lines):  # a header line seen from several TUs
        click.echo(f"  {line}")


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
@click.option("--extra-arg", "extra_arg", multiple=True, metavar="ARG",
              help="A compiler argument (repeatable); like those after `--`, for tools that append file names.")
@click.option("--config", "config_file", metavar="FILE",
              help="Configuration file; default: [tool.signlint] in pyproject.toml, signlint.toml or .signlint.toml "
                   "found upward from the paths.")
@click.option("--select", default="", metavar="CODES", help="Rules to run, comma-separated, or ALL.")
@click.option("--ignore", default="", metavar="CODES", help="Rules not to run, comma-separated.")
@click.option("--fix", "fix_", is_flag=True, help="Rewrite files with the fixes (each file verified first).")
@click.option("--diff", "diff_", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix or --diff, also the unsafe fixes: those that change a declaration's type "
                   "(a helper's return type) or read a stored int as unsigned.")
@click.option("--format", "--output-format", "format_", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Report format.")
@click.option("--color", "color", type=click.Choice(COLOR_MODES), default="auto", show_default=True,
              help="Colour the text report: auto is on a terminal, unless NO_COLOR is set.")
@click.option("-o", "--output", "output", metavar="FILE",
              help="Write the report to FILE (- for stdout); a symlink is written through, a device written to.")
@click.option("--diff-base", metavar="REF", help="Report only findings on lines changed since REF (git diff).")
@click.option("--staged", is_flag=True, help="With --diff-base: the staged changes only.")
@click.option("--baseline", "baseline_file", metavar="FILE", help="Known findings (JSON) not to report again.")
@click.option("--update-baseline", is_flag=True, help="Write the current findings to the --baseline file.")
@click.option("--show-unused-suppressions", is_flag=True, help="Warn about suppression comments that matched nothing.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("--allow-incomplete", is_flag=True,
              help="Do not fail (exit 3) when a file had parse errors or could not be analysed; "
                   "for trees known not to parse. The summary line is printed all the same.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, metavar="N",
              help="Worker processes (default: the number of CPUs); 0: analyse in this process.")
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
              metavar="SECONDS", help="Give up on a TU after this long (with workers); 0: no limit.")
@click.option("--cache-dir", metavar="DIR", help="Result cache folder (default: $XDG_CACHE_HOME/signlint "
                                                 "or ~/.cache/signlint).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--shard", metavar="K/N", callback=_shard_option,
              help="Analyse only share K of N (1 <= K <= N) of the TUs, split by a hash of their paths; "
                   "`signlint merge` combines the shards' JSON or SARIF reports.")
@click.option("--progress", "progress_mode", type=click.Choice(MODES), default="auto", show_default=True,
              help="Progress and summary on stderr: a live line on a terminal, plain lines in logs "
                   "(auto: only for 10 TUs or more).")
@click.option("-v", "--verbose", is_flag=True,
              help="Also say which compile database was used (or the flags used without one), the files "
                   "skipped as not in it, the files with parse errors, and one TU's clang arguments.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print only the report and errors: no warnings, progress or hints. An incomplete "
                   "analysis is still said (it fails the run).")
@click.option("--explain", is_flag=True, help="Show with each finding the value ranges the analysis used, and why.")
@click.option("--explain-silent", metavar="PATH:LINE", callback=_line_option,
              help="Describe what the analysis saw on one line (shifts, products, widenings) and why it "
                   "reported nothing there.")
@click.pass_context
def check(ctx: click.Context, paths, compile_commands, extra_arg, config_file, select, ignore, fix_, diff_,
          unsafe_fixes, format_, color,
          output, diff_base, staged, baseline_file, update_baseline, show_unused_suppressions, statistics,
          exit_zero, allow_incomplete, jobs, timeout, cache_dir, no_cache, shard, progress_mode, verbose, quiet,
          explain, explain_silent) -> None:
    """Check C files and folders (*.c, *.h). Compiler arguments go after `--`."""
    if fix_ and diff_:
        raise click.UsageError("--fix and --diff cannot be used together")
    if update_baseline and not baseline_file:
        raise click.UsageError("--update-baseline needs --baseline FILE")
    if staged and not diff_base:
        raise click.UsageError("--staged goes with --diff-base REF")
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet cannot be used together")
    if quiet:
        progress_mode = "off"
    cli_select = _codes(select, "--select") if select else set()
    cli_ignore = _codes(ignore, "--ignore") if ignore else set()
    extra = [*extra_arg, *(ctx.obj or {}).get("extra_args", [])]
    root = project_root()
    try:
        config = configuration.load(config_file) if config_file else configuration.discover(paths)
        settings = configuration.resolve(config, {"select": cli_select, "ignore": cli_ignore, "extra_args": extra,
                                                  "compile_commands": compile_commands})
        targets = settings.filter_targets(discover(list(paths)))
        known = baselines.load(baseline_file, missing_ok=update_baseline) if baseline_file else None
        changed = changes.changed_lines(diff_base, staged=staged) if diff_base else None
        # --staged judges what will be committed: files with unstaged edits are parsed as staged.
        staged_texts = changes.staged_texts() if staged else {}
        if staged_texts and (fix_ or diff_):
            raise click.UsageError(f"--staged with --fix/--diff: {display_path(min(staged_texts))} has unstaged "
                                   "edits, and the fixes would be made to the working copy; stage or stash them")
        engine = Engine(Options(settings.rules, settings.extra_args, settings.compile_commands, explain,
                                explain_silent, staged_texts))
        jobs = default_jobs() if jobs is None else jobs
        # Cached results carry no explanations: explaining means analysing again. The
        # cache knows files by their contents on disk, not by a staged text.
        uncached = no_cache or explain or explain_silent or staged_texts
        cache = None if uncached else Cache(cache_dir or default_folder(), settings.rules)
        progress = Progress(progress_mode, jobs=jobs)
        report = schedule.run(engine, targets, RunOptions(jobs, timeout or None, cache, shard, progress))
    except (InputError, DatabaseError, FrontendError, configuration.ConfigError, baselines.BaselineError,
            changes.ChangedLinesError, WorkerError) as exc:
        _fail(str(exc))
    warn = (lambda text: None) if quiet else (lambda text: click.echo(text, err=True))
    if verbose:
        _print_verbose(report, settings.extra_args)
    for warning in report.warnings:
        warn(f"signlint: warning: {warning}")
    if cache is not None and cache.warning:
        warn(f"signlint: warning: {cache.warning}")
    for error in report.internal_errors:
        click.echo(f"signlint: error: {error}; please report this", err=True)
    if explain_silent:
        _print_line_explanation(explain_silent, report.explanations)

    # What to report: config filters, inline suppressions, the baseline, changed lines.
    findings = settings.filter(report.findings, named=targets.files)
    analysed = [*targets.sources, *targets.headers]
    findings, suppressed, problems = suppress.apply(findings, files=analysed, texts=staged_texts)
    for problem in problems:
        warn(f"{display_path(problem.path)}:{problem.line}: warning: {problem.message}")
    if show_unused_suppressions:
        scanned = [suppress.scan(p, staged_texts.get(p)) for p in analysed]
        for idle in suppress.unused(scanned, suppressed, settings.rules):
            click.echo(f"{display_path(idle.path)}:{idle.line}: warning: unused suppression: {idle.text}", err=True)
    if update_baseline:
        try:
            count = baselines.write(baseline_file, findings, root, keep=known.outside(targets.wanted, root))
        except OSError as exc:
            _fail(f"cannot write {baseline_file}: {exc.strerror or exc}")
        click.echo(f"signlint: wrote {count} finding(s) to {baseline_file}", err=True)
        progress.summary(report, findings)
        ctx.exit(_status(report, [], exit_zero, allow_incomplete or settings.config.allow_incomplete))
    if known is not None:
        findings, _ = baselines.filter(findings, known, root)
    if changed is not None:
        findings = changes.keep(findings, changed)

    unsafe_fixes = unsafe_fixes or settings.config.unsafe_fixes
    if fix_ or diff_:
        findings = _fix(engine, targets, findings, write=fix_, unsafe=unsafe_fixes)

    colored = use_color(color, sys.stdout if not output or output == STDOUT else None, os.environ)
    text = _render(findings, format_, root, statistics, staged_texts, colored)
    if format_ == "text" and findings and not (statistics or quiet or diff_):
        text += footer(findings, unsafe_fixes)
    if output and not (output == STDOUT and diff_):
        _write_report(output, text)
    elif not diff_:
        click.echo(text, nl=False, color=colored)  # click would strip colour off a pipe
    if format_ == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        write_github_summary(findings, root, os.environ["GITHUB_STEP_SUMMARY"])
    progress.summary(report, findings)

    ctx.exit(_status(report, findings, exit_zero, allow_incomplete or settings.config.allow_incomplete))


def _print_verbose(report, extra_args) -> None:
    """--verbose: where the flags came from, and what was left out or broken."""
    def say(text: str) -> None:
        click.echo(f"signlint: {text}", err=True)

    for database in report.databases:
        say(f"compile database: {display_path(database)}")
    if report.without_database:
        flags = " ".join([*clean_flags(list(extra_args)), *PARSE_FLAGS])
        say(f"{report.without_database} TU(s) had no compile database ({SEARCHED}); "
            f"parsed with the default flags: {flags}")
    for path in report.unbuilt:
        say(f"skipped, not in the compile database: {path}")
    for path in report.with_errors:
        say(f"parse errors: {path}")
    for path in report.not_analysed:
        say(f"not analysed: {path}")
    for path in report.partly_analysed:
        say(f"partly analysed: {path}")
    if report.example_flags:
        path, args = report.example_flags
        say(f"clang arguments for {path}: {shlex.join(args)}")


def _status(report, findings: list, exit_zero: bool, allow_incomplete: bool) -> int:
    """Internal errors, then an incomplete analysis (never silent: its summary
    is printed even when allowed), then findings."""
    if report.incomplete:
        tail = "" if allow_incomplete else " (exit status 3; --allow-incomplete accepts this)"
        if report.without_database and report.with_errors:
            tail += ("; no compile database was found for some files: give one with -p, or the flags "
                     "after -- (e.g. -- -Iinclude); -v shows what was searched")
        label = "warning" if allow_incomplete else "error"
        summary = incomplete_summary(report.with_errors, report.not_analysed, report.partly_analysed)
        click.echo(f"signlint: {label}: {summary}{tail}", err=True)
    if report.internal_errors:
        return EXIT_ERROR
    if report.incomplete and not allow_incomplete:
        return EXIT_INCOMPLETE
    return EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN


def _fix(engine: Engine, targets, findings: list, write: bool, unsafe: bool) -> list:
    """Apply (or, for --diff, show) the fixes, the unsafe ones only if asked; returns
    the findings that remain."""
    fixed_keys = set()
    for file_fix in plan(findings, unsafe):
        verify_and_apply(engine, targets.wanted, file_fix, write=write)
        shown = display_path(file_fix.path)
        if file_fix.error:
            click.echo(f"signlint: warning: {shown}: {file_fix.error}", err=True)
            continue
        if write:
            fixed_keys.update(f.key for f in file_fix.findings)
            click.echo(f"signlint: fixed {len(file_fix.findings)} finding(s) in {shown}", err=True)
        else:
            click.echo(unified_diff(file_fix, shown), nl=False)
    return [f for f in findings if f.key not in fixed_keys]


def _render(findings: list, format_: str, root: str, statistics: bool, texts: dict[str, str], color: bool) -> str:
    if statistics:
        counts = Counter(f.rule for f in findings)
        return "".join(f"{n:5d}\t{code}\t{RULES[code].SUMMARY}\n" for code, n in sorted(counts.items()))
    if format_ == "json":
        return format_json(findings)
    if format_ == "text":
        return format_text(findings, texts, color)
    return FORMATS[format_](findings, root)


def _write_report(path: str, text: str) -> None:
    try:
        write_text(path, text)
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")


@cli.command()
@click.argument("code")
def rule(code: str) -> None:
    """Print a rule's document (what it flags, why, examples, the fix)."""
    code = code.upper()
    if code not in RULES:
        _fail(f"unknown rule {code} (known: {', '.join(sorted(RULES))})")
    click.echo(rule_document(code), nl=False)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "output", metavar="FILE", help="Write the merged report to FILE instead of stdout.")
def merge(files, output) -> None:
    """Merge the JSON (or SARIF) reports of --shard runs into one report."""
    from .merge import MergeError, merge_files

    try:
        text, warnings = merge_files(list(files))
    except MergeError as exc:
        _fail(str(exc))
    for warning in warnings:
        click.echo(f"signlint: warning: {warning}", err=True)
    if output:
        _write_report(output, text)
    else:
        click.echo(text, nl=False)


@cli.group()
def cache() -> None:
    """The result cache (a TU whose files, flags and signlint are unchanged is not parsed again)."""


@cache.command("clear")
@click.option("--cache-dir", metavar="DIR", help="The cache folder (default: $XDG_CACHE_HOME/signlint "
                                                 "or ~/.cache/signlint).")
def cache_clear(cache_dir) -> None:
    """Remove every cached result."""
    from .cache import clear

    folder = cache_dir or default_folder()
    try:
        removed = clear(folder)
    except OSError as exc:
        _fail(f"cannot clear {folder}: {exc.strerror or exc}")
    click.echo(f"signlint: removed {removed} cached result(s) from {folder}", err=True)


@cache.command("info")
@click.option("--cache-dir", metavar="DIR", help="The cache folder.")
def cache_info(cache_dir) -> None:
    """Print the cache folder, its number of results and their size."""
    from .cache import info

    folder = cache_dir or default_folder()
    count, size = info(folder)
    click.echo(f"{folder}: {count} cached result(s), {size / 2**20:.1f} MB")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                               "help_option_names": []})
@click.pass_context
def kbuild(ctx: click.Context) -> None:
    """The kernel build's checker: make C=1 CHECK="signlint kbuild" (see signlint/kbuild.py)."""
    from .kbuild import main as kbuild_main

    sys.exit(kbuild_main(list(ctx.args)))


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
