"""Adoption features: inline suppressions, configuration files, baselines and
changed lines from git, on real files, real findings and real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace

import pytest
from conftest import PRELUDE, analyze

from signlint.checks import DEFAULT_RULES, RULES
from signlint.decide import baseline, changed_lines, config, suppress
from signlint.front.files import discover

BUG = "x |= b << 24;"


def c_file(path, body: str, prelude: str = PRELUDE):
    """A C file whose function f holds body; returns (path, the line number of body's first line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = prelude + "u64 f(u8 b) {\n  u64 x = 0;\n"
    path.write_text(head + body + "  return x;\n}\n")
    return path, head.count("\n") + 1


def lines_of(findings):
    return sorted(f.position.line for f in findings)


# -- inline suppressions ------------------------------------------------------


SUPPRESSED_FORMS = [
    "  x |= b << 24; /* signlint: ignore[SL001] masked by the caller */\n",
    "  x |= b << 24; // signlint: ignore[SL001,SL999] reason\n",
    "  x |= b << 24; // signlint:ignore[sl001]\n",
    "  // signlint: ignore[SL001] on the line before\n  x |= b << 24;\n",
    "  /* signlint: ignore[SL001] a reason that\n   * takes two lines */\n  x |= b << 24;\n",
    "  x |= b << 24; // NOLINT(signlint-SL001)\n",
    "  x |= b << 24; // NOLINT(bugprone-foo, signlint-SL001)\n",
    "  x |= b << 24; // NOLINT(signlint-*)\n",
    "  x |= b << 24; // NOLINT(signlint-SL*)\n",
    "  // NOLINTNEXTLINE(signlint-SL001)\n  x |= b << 24;\n",
    "  x |= b << 24; // signlint: ignore[ALL]\n",
    "  x |= b << 24; // NOLINT\n",  # clang-tidy's bare NOLINT: every check
    "  x |= b << 24; // NOLINT(*)\n",
    "  x |= b << 24; // NOLINT(sign*)\n",
    "  // NOLINTNEXTLINE\n  x |= b << 24;\n",
    "  // NOLINTBEGIN(signlint-SL001)\n  x |= b << 24;\n  // NOLINTEND(signlint-SL001)\n",
    "  // NOLINTBEGIN\n  x |= 1;\n  x |= b << 24;\n  // NOLINTEND\n",
]


@pytest.mark.parametrize("form", SUPPRESSED_FORMS)
def test_each_form_suppresses_its_line_and_nothing_after(tmp_path, form):
    # the same bug follows on the next line: it must stay
    path, first = c_file(tmp_path / "a.c", form + f"  {BUG}\n")
    report = analyze([path])
    assert len(report.findings) == 2
    kept, suppressed, problems = suppress.apply(report.findings)
    assert lines_of(kept) == [first + form.count("\n")]
    assert len(suppressed) == 1
    assert [p.message for p in problems] == (["unknown rule code SL999 in 'signlint: ignore[SL001,SL999]'"]
                                             if "SL999" in form else [])


NOT_SUPPRESSED_FORMS = [
    "  x |= b << 24; // NOLINT(bugprone-narrowing)\n",
    "  x |= b << 24; // NOLINT()\n",
    "  // NOLINTNEXTLINE(bugprone-*)\n  x |= b << 24;\n",
    "  // NOLINTBEGIN(bugprone-*)\n  x |= b << 24;\n  // NOLINTEND(bugprone-*)\n",
    "  // NOLINTBEGIN(signlint-SL001)\n  // NOLINTEND(signlint-SL001)\n  x |= b << 24;\n",  # closed before
    "  // NOLINTBEGIN(signlint-SL001)\n  x |= b << 24;\n",  # never closed: suppresses nothing
    "  // NOLINTBEGIN(signlint-SL001)\n  x |= b << 24;\n  // NOLINTEND(signlint-SL002)\n",  # not its END
    "  // NOLINT(signlint-SL001)\n  x |= b << 24;\n",  # NOLINT covers its own line only
    "  x |= 1; // signlint: ignore[SL001]\n  x |= b << 24;\n",  # after code: does not reach the next line
    "  // signlint: ignore[SL001]\n\n  x |= b << 24;\n",  # a blank line between
    "  x |= b << 24; // NOLINTNEXTLINE(signlint-SL001)\n",
    '  x |= b << 24; s = "// signlint: ignore[SL001]";\n',  # in a string literal
    "  x |= b << 24; c = '\"'; s = \"/* NOLINT(signlint-SL001) */\";\n",
]


@pytest.mark.parametrize("form", NOT_SUPPRESSED_FORMS)
def test_forms_that_do_not_suppress(tmp_path, form):
    prelude = PRELUDE + "const char *s; char c;\n"
    path, _ = c_file(tmp_path / "a.c", form, prelude)
    report = analyze([path])
    assert len(report.findings) == 1
    kept, suppressed, _ = suppress.apply(report.findings)
    assert kept == report.findings and suppressed == []


def test_a_suppression_is_for_its_rule_only(tmp_path):
    path, first = c_file(tmp_path / "a.c", f"  {BUG} // signlint: ignore[SL001]\n  {BUG} // NOLINT(signlint-SL001)\n")
    findings = analyze([path]).findings
    as_other_rule = [replace(f, rule="SL002") for f in findings]
    kept, suppressed, _ = suppress.apply(findings + as_other_rule)
    assert [f.rule for f in kept] == ["SL002", "SL002"]
    assert [f.rule for f in suppressed] == ["SL001", "SL001"]


def test_a_bare_ignore_is_refused_with_a_hint(tmp_path):
    path, first = c_file(tmp_path / "a.c", f"  {BUG} // signlint: ignore\n  {BUG} /* signlint: ignore[] */\n")
    findings = analyze([path]).findings
    kept, suppressed, problems = suppress.apply(findings)
    assert lines_of(kept) == [first, first + 1] and suppressed == []
    assert problems == [(str(path), first, suppress.HINT), (str(path), first + 1, suppress.HINT)]
    assert suppress.HINT == "signlint: ignore needs a rule list, e.g. signlint: ignore[SL001]"


def test_unknown_codes_are_problems_and_suppress_nothing(tmp_path):
    path, first = c_file(tmp_path / "a.c", f"  {BUG} // signlint: ignore[SL999]\n  {BUG} // NOLINT(signlint-XY1)\n")
    kept, _, problems = suppress.apply(analyze([path]).findings)
    assert lines_of(kept) == [first, first + 1]
    assert [(p.line, p.message) for p in problems] == [
        (first, "unknown rule code SL999 in 'signlint: ignore[SL999]'"),
        (first + 1, "unknown rule code XY1 in 'NOLINT(signlint-XY1)'"),
    ]


def test_unmatched_nolint_regions_are_problems(tmp_path):
    path, first = c_file(tmp_path / "a.c", f"  // NOLINTEND(signlint-SL001)\n  // NOLINTBEGIN(signlint-*)\n  {BUG}\n")
    kept, _, problems = suppress.apply(analyze([path]).findings)
    assert lines_of(kept) == [first + 2]
    assert [(p.line, p.message) for p in problems] == [
        (first, "'NOLINTEND(signlint-SL001)' without a matching NOLINTBEGIN"),
        (first + 1, "'NOLINTBEGIN(signlint-*)' without a matching NOLINTEND; it suppresses nothing"),
    ]


def test_regions_nest_and_close_by_their_check_list(tmp_path):
    text = ("  // NOLINTBEGIN(signlint-SL001)\n  // NOLINTBEGIN(signlint-SL002)\n  // NOLINTEND(signlint-SL001)\n"
            f"  {BUG}\n  // NOLINTEND(signlint-SL002)\n  {BUG}\n")
    path, first = c_file(tmp_path / "a.c", text)
    kept, suppressed, problems = suppress.apply(analyze([path]).findings)
    assert lines_of(kept) == [first + 3, first + 5] and problems == []


def test_a_nolint_that_does_not_name_signlint_is_never_unused(tmp_path):
    path, first = c_file(tmp_path / "a.c", "  x |= 1; // NOLINT\n  x |= 2; // NOLINT(signlint-SL001)\n")
    scanned = suppress.scan(str(path))
    assert [u.line for u in suppress.unused([scanned], [])] == [first + 1]


def test_problems_are_reported_for_files_without_findings(tmp_path):
    clean = tmp_path / "clean.c"
    clean.write_text(PRELUDE + "u64 g(u8 b) { return (u64)b << 24; } // signlint: ignore\n")
    assert analyze([clean]).findings == []
    _, _, problems = suppress.apply([], files=[str(clean)])
    assert [p.line for p in problems] == [PRELUDE.count("\n") + 1]


def test_unused_suppressions_report(tmp_path):
    body = (f"  {BUG} // signlint: ignore[SL001]\n"       # used
            "  x |= (u64)b << 24; // NOLINT(signlint-SL001)\n"  # nothing to suppress
            "  // signlint: ignore[SL001]\n"               # standalone, next line is clean
            "  x |= 1;\n"
            f"  {BUG} // NOLINT(signlint-SL*)\n")         # used
    path, first = c_file(tmp_path / "a.c", body)
    report = analyze([path])
    kept, suppressed, _ = suppress.apply(report.findings)
    assert kept == [] and len(suppressed) == 2
    scanned = [suppress.scan(str(path))]
    assert suppress.unused(scanned, suppressed) == [
        (str(path), first + 1, "NOLINT(signlint-SL001)"),
        (str(path), first + 2, "signlint: ignore[SL001]"),
    ]
    # a rule that did not run cannot be judged
    assert suppress.unused(scanned, suppressed, rules=[]) == []


def test_partly_unused_rule_list(tmp_path):
    path, first = c_file(tmp_path / "a.c", f"  {BUG} // signlint: ignore[SL001, SL00*, SL999]\n")
    findings = analyze([path]).findings
    fs = suppress.scan(str(path))
    assert fs.suppressions[0].patterns == ("SL001", "SL00*", "SL999")
    kept, suppressed, _ = suppress.apply(findings)
    assert kept == [] and suppressed == findings
    # SL999 is not a rule of this signlint, so it is not judged (it is reported as unknown instead)
    assert suppress.unused([fs], suppressed) == []
    assert suppress.unused([fs], []) == [(str(path), first, "signlint: ignore[SL001, SL00*, SL999]")]
    as_other_rule = [replace(f, rule="SL002") for f in findings]
    assert suppress.unused([fs], as_other_rule) == [
        (str(path), first, "signlint: ignore[SL001, SL00*, SL999] (SL001 matched nothing)")]


def test_scan_notices_an_edit(tmp_path):
    path, first = c_file(tmp_path / "a.c", f"  {BUG}\n")
    assert suppress.scan(str(path)).suppressions == ()
    path.write_text(path.read_text().replace(BUG, BUG + " // NOLINT(signlint-SL001)"))
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    assert [s.line for s in suppress.scan(str(path)).suppressions] == [first]


# -- configuration -----------------------------------------------------------


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_config_discovery_nearest_first(tmp_path):
    top = write(tmp_path / "pyproject.toml", "[tool.signlint]\nignore = []\n")
    mid = write(tmp_path / "a" / "signlint.toml", "ignore = []\n")
    write(tmp_path / "a" / "b" / "pyproject.toml", "[project]\nname = 'x'\n")  # no [tool.signlint]: skipped
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir()
    assert config.find([str(deep / "x.c")]) == str(mid)
    assert config.find([str(deep)]) == str(mid)
    assert config.find([str(tmp_path / "other.c")]) == str(top)
    # several paths: the first path's configuration wins
    assert config.find([str(tmp_path / "z.c"), str(deep)]) == str(top)
    assert config.find([str(deep), str(tmp_path / "z.c")]) == str(mid)
    # in one folder: .signlint.toml, then signlint.toml, then pyproject.toml
    dot = write(tmp_path / "a" / ".signlint.toml", "")
    write(tmp_path / "a" / "pyproject.toml", "[tool.signlint]\n")
    assert config.find([str(deep)]) == str(dot)
    assert config.discover([str(deep)]).path == str(dot)


def test_no_config_is_an_empty_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    empty = config.Config()
    settings = config.resolve(empty, {})
    assert settings.rules == DEFAULT_RULES and settings.extra_args == [] and settings.compile_commands is None


def test_config_values_and_command_line_overrides(tmp_path):
    cfg = config.load(write(tmp_path / "signlint.toml", """
select = ["ALL"]
ignore = ["sl001"]
extra-args = ["-DWIDE=1"]
compile-commands = "build"
"""))
    assert cfg.select == frozenset(RULES) and cfg.ignore == frozenset({"SL001"})
    assert cfg.compile_commands == str(tmp_path / "build")
    settings = config.resolve(cfg, {})
    assert settings.rules == frozenset(RULES) - {"SL001"}
    assert settings.extra_args == ["-DWIDE=1"] and settings.compile_commands == str(tmp_path / "build")
    # the command line's select replaces the file's select and ignore; its ignore applies last
    assert config.resolve(cfg, {"select": "SL001"}).rules == frozenset({"SL001"})
    assert config.resolve(cfg, {"select": {"SL001"}, "ignore": {"SL001"}}).rules == frozenset()
    over = config.resolve(cfg, {"extra_args": ["-DWIDE=0"], "compile_commands": "other/cc.json"})
    assert over.extra_args == ["-DWIDE=1", "-DWIDE=0"] and over.compile_commands == "other/cc.json"


def test_config_rules_reach_the_engine(tmp_path):
    path, _ = c_file(tmp_path / "a.c", f"  {BUG}\n")
    write(tmp_path / "signlint.toml", 'ignore = ["SL001"]\n')
    settings = config.resolve(config.discover([str(path)]), {})
    assert analyze([path], settings.extra_args, settings.rules).findings == []
    settings = config.resolve(config.discover([str(path)]), {"select": "SL001"})
    assert len(analyze([path], settings.extra_args, settings.rules).findings) == 1


def test_config_extra_args_reach_the_engine(tmp_path):
    path, _ = c_file(tmp_path / "a.c", "#ifdef BUGGY\n  x |= b << 24;\n#endif\n")
    write(tmp_path / "signlint.toml", 'extra-args = ["-DBUGGY"]\n')
    assert analyze([path]).findings == []
    settings = config.resolve(config.discover([str(path)]), {})
    assert len(analyze([path], settings.extra_args, settings.rules).findings) == 1


@pytest.mark.parametrize(("name", "text", "message"), [
    ("signlint.toml", "selct = ['SL001']\n", "signlint.toml: unknown key 'selct'; did you mean 'select'?"),
    ("pyproject.toml", "[tool.signlint]\ncolour = true\n",
     "pyproject.toml: unknown key 'colour' in [tool.signlint] (known keys: select, ignore, per-file-ignores, "
     "exclude, extra-args, compile-commands, unsafe-fixes, allow-incomplete)"),
    (".signlint.toml", "per_file_ignores = {}\n", ".signlint.toml: unknown key 'per_file_ignores'; "
                                                   "did you mean 'per-file-ignores'?"),
    ("signlint.toml", "select = 'SL001'\n", "signlint.toml: 'select' must be a list of strings"),
    ("pyproject.toml", "[tool.signlint]\nexclude = [1]\n",
     "pyproject.toml: 'exclude' in [tool.signlint] must be a list of strings"),
    ("signlint.toml", "compile-commands = ['a']\n", "signlint.toml: 'compile-commands' must be a string (a path)"),
    ("signlint.toml", "per-file-ignores = ['a']\n",
     "signlint.toml: 'per-file-ignores' must be a table of glob = [rule codes]"),
    ("signlint.toml", "per-file-ignores = { 'a.c' = 'SL001' }\n",
     "signlint.toml: 'per-file-ignores' entry 'a.c' must be a list of rule codes"),
    ("signlint.toml", "ignore = ['SL999']\n",
     f"signlint.toml: 'ignore' names an unknown rule code 'SL999' (known: {', '.join(sorted(RULES))})"),
    ("signlint.toml", "[tool.signlint]\nexclude = [1]\n",
     "signlint.toml: 'exclude' in [tool.signlint] must be a list of strings"),
    ("signlint.toml", "select = ['SL001']\n[tool.signlint]\nignore = ['SL002']\n",
     "signlint.toml: both top-level keys (select) and [tool.signlint]; keep one of the two"),
    ("signlint.toml", "[tool.ruff]\nline-length = 1\n",
     "signlint.toml: unknown key 'tool'; write the keys at the top level, or under [tool.signlint]"),
])
def test_config_errors_name_the_key_and_the_file(tmp_path, monkeypatch, name, text, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / name, text)
    with pytest.raises(config.ConfigError) as caught:
        config.discover([str(tmp_path)])
    assert str(caught.value) == message


def test_signlint_toml_may_use_the_tool_signlint_table(tmp_path):
    """A [tool.signlint] table moved out of pyproject.toml as it is."""
    path = write(tmp_path / "signlint.toml", "[tool.signlint]\nselect = ['SL001']\nunsafe-fixes = true\n")
    loaded = config.load(str(path))
    assert loaded.select == frozenset({"SL001"}) and loaded.unsafe_fixes


def test_invalid_toml_names_the_file(tmp_path):
    path = write(tmp_path / "signlint.toml", "select = [\n")
    with pytest.raises(config.ConfigError, match=r"signlint\.toml: invalid TOML: ") as caught:
        config.load(str(path))
    assert "\n" not in str(caught.value)


def test_per_file_ignores_globs_are_relative_to_the_config(tmp_path):
    project = tmp_path / "project"
    legacy, _ = c_file(project / "legacy" / "old" / "a.c", f"  {BUG}\n")
    other, _ = c_file(project / "src" / "legacy" / "b.c", f"  {BUG}\n")  # 'legacy/**' is anchored: not this one
    gen, _ = c_file(project / "src" / "gen_tab.c", f"  {BUG}\n")
    kept, _ = c_file(project / "src" / "main.c", f"  {BUG}\n")
    write(project / "signlint.toml", """
[per-file-ignores]
"legacy/**" = ["SL001"]
"gen_*.c" = ["ALL"]
"src/{main,util}.h" = ["SL001"]
""")
    findings = analyze([project]).findings
    assert len(findings) == 4
    settings = config.resolve(config.discover([str(project)]), {})
    assert settings.ignored_rules(str(legacy)) == frozenset({"SL001"})
    assert settings.ignored_rules(str(project / "src" / "main.h")) == frozenset({"SL001"})
    assert settings.ignored_rules(str(project / "src" / "main.c")) == frozenset()
    assert sorted(f.position.path for f in settings.filter(findings)) == sorted([str(other), str(kept)])


def test_exclude_files_and_folders(tmp_path):
    project = tmp_path / "project"
    c_file(project / "third_party" / "zlib" / "a.c", f"  {BUG}\n")
    c_file(project / "build" / "gen.c", f"  {BUG}\n")
    c_file(project / "src" / "skip_me.c", f"  {BUG}\n")
    main, _ = c_file(project / "src" / "main.c", f"  {BUG}\n")
    header = write(project / "vendor" / "v.h", "static inline unsigned long long v(unsigned char b) "
                                                "{ return b << 24; }\n")
    write(project / "src" / "uses.c", f'#include "../vendor/v.h"\n{PRELUDE}u64 g(u8 b) {{ return v(b); }}\n')
    write(project / ".signlint.toml", 'exclude = ["third_party", "/build/", "src/skip_*.c", "vendor/**"]\n')
    settings = config.resolve(config.discover([str(project)]), {})
    targets = discover([str(project)])
    assert len(targets.sources) == 5
    kept = settings.filter_targets(targets)
    assert [os.path.relpath(p, project) for p in kept.sources] == ["src/main.c", "src/uses.c"]
    assert kept.headers == ()
    # a finding in an excluded header reached from an analysed file is dropped too
    findings = analyze([project]).findings
    assert str(header) in {f.position.path for f in findings}
    assert [f.position.path for f in settings.filter(findings)] == [str(main)]
    # a file named on the command line is analysed anyway, unless forced
    named = discover([str(project / "src" / "skip_me.c")])
    assert settings.filter_targets(named).sources == named.sources
    assert settings.filter_targets(named, force=True).sources == ()


# -- baselines ---------------------------------------------------------------


def test_baseline_round_trip_is_stable(tmp_path):
    path, _ = c_file(tmp_path / "src" / "a.c", f"  {BUG}\n  {BUG}\n")
    findings = analyze([path]).findings
    file = tmp_path / "signlint-baseline.json"
    assert baseline.write(str(file), findings, str(tmp_path)) == 2
    text = file.read_text()
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data["tool"] == "signlint" and data["version"] == 1
    assert [(e["rule"], e["path"], e["function"], e["snippet"]) for e in data["findings"]] == \
        [("SL001", "src/a.c", "f", "b << 24")] * 2
    baseline.write(str(file), list(reversed(findings)), str(tmp_path))
    assert file.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".signlint-baseline-*"))
    loaded = baseline.load(str(file))
    assert len(loaded) == 2
    new, known = baseline.filter(findings, loaded, str(tmp_path))
    assert new == [] and known == findings


def test_baseline_survives_an_unrelated_edit_and_catches_a_new_bug(tmp_path):
    path, first = c_file(tmp_path / "a.c", f"  {BUG}\n")
    file = tmp_path / "baseline.json"
    baseline.write(str(file), analyze([path]).findings, str(tmp_path))
    # lines added above the old bug move it; a new bug is added in another function
    text = path.read_text()
    text = text.replace("u64 f(u8 b)", "/* a new\n * comment */\nu64 g(u8 b) { return b << 24; }\n\nu64 f(u8 b)")
    path.write_text(text)
    findings = analyze([path]).findings
    assert len(findings) == 2
    new, known = baseline.filter(findings, baseline.load(str(file)), str(tmp_path))
    assert [f.function for f in new] == ["g"]
    assert [f.function for f in known] == ["f"] and known[0].position.line == first + 4


def test_a_repeat_added_above_a_known_snippet_is_the_new_one(tmp_path):
    """Issue 11.8: the same expression twice in one function. The known one moved
    down a line and the new one took its occurrence index; the new one is blamed."""
    path, first = c_file(tmp_path / "a.c", f"  {BUG}\n")
    file = tmp_path / "baseline.json"
    baseline.write(str(file), analyze([path]).findings, str(tmp_path))
    path.write_text(path.read_text().replace(f"  {BUG}\n", f"  u64 y = b << 24; x |= y;\n  {BUG}\n"))
    findings = analyze([path]).findings
    assert [f.position.line for f in findings] == [first, first + 1]
    new, known = baseline.filter(findings, baseline.load(str(file)), str(tmp_path))
    assert [f.position.line for f in new] == [first] and [f.position.line for f in known] == [first + 1]


def test_a_baseline_without_source_lines_still_counts_repeats(tmp_path):
    """Entries written before the 'context' field: the extra repeats are new, the last ones."""
    path, first = c_file(tmp_path / "a.c", f"  {BUG}\n")
    file = tmp_path / "baseline.json"
    baseline.write(str(file), analyze([path]).findings, str(tmp_path))
    data = json.loads(file.read_text())
    for entry in data["findings"]:
        assert entry.pop("context") == BUG
    file.write_text(json.dumps(data))
    path.write_text(path.read_text().replace(f"  {BUG}\n", f"  {BUG}\n  {BUG}\n"))
    new, known = baseline.filter(analyze([path]).findings, baseline.load(str(file)), str(tmp_path))
    assert [f.position.line for f in new] == [first + 1] and [f.position.line for f in known] == [first]


def test_baseline_missing_and_malformed(tmp_path):
    missing = tmp_path / "none.json"
    assert len(baseline.load(str(missing), missing_ok=True)) == 0
    with pytest.raises(baseline.BaselineError, match="does not exist"):
        baseline.load(str(missing))
    for text, message in [("{", "not a signlint baseline: Expecting"), ("[]", "not a signlint baseline"),
                          ('{"tool": "signlint", "version": 7, "findings": []}', "version 7 is not supported"),
                          ('{"tool": "signlint", "version": 1, "findings": [{"rule": "SL001"}]}',
                           "finding #1 is malformed")]:
        bad = write(tmp_path / "bad.json", text)
        with pytest.raises(baseline.BaselineError, match=message) as caught:
            baseline.load(str(bad))
        assert "\n" not in str(caught.value)


def test_baseline_update_of_part_of_a_project_keeps_the_rest(tmp_path):
    a, _ = c_file(tmp_path / "a.c", f"  {BUG}\n")
    b, _ = c_file(tmp_path / "b.c", f"  {BUG}\n")
    file = tmp_path / "baseline.json"
    baseline.write(str(file), analyze([a, b]).findings, str(tmp_path))
    old = baseline.load(str(file))
    targets = discover([str(a)])
    keep = old.outside(targets.wanted, str(tmp_path))
    assert [e.path for e in keep] == ["b.c"]
    assert baseline.write(str(file), analyze([a]).findings, str(tmp_path), keep=keep) == 2
    assert baseline.load(str(file)).entries == old.entries


# -- changed lines -----------------------------------------------------------


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "commit.gpgsign", "false")
    return root


def test_changed_lines_from_git(repo):
    a, first = c_file(repo / "a.c", f"  {BUG}\n  x |= 1;\n  x |= 2;\n")
    b, _ = c_file(repo / "src" / "b.c", f"  {BUG}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start")
    # a.c (not staged): a new bug after the old one, and 'x |= 1;' deleted
    a.write_text(a.read_text().replace("  x |= 1;\n", f"  {BUG}\n  x |= 3;\n").replace("  x |= 2;\n", ""))
    # b.c (staged): a new bug; c.c: a new file, added; d.c: untracked
    b.write_text(b.read_text().replace(f"  {BUG}\n", f"  {BUG}\n  {BUG}\n"))
    c, _ = c_file(repo / "c.c", f"  {BUG}\n")
    git(repo, "add", "src/b.c", "c.c")
    d, _ = c_file(repo / "d.c", f"  {BUG}\n")
    c_lines = c.read_text().count("\n")

    changed = changed_lines.changed_lines("HEAD", str(repo / "src"))
    assert changed == {
        str(a): {first + 1, first + 2},
        str(b): {first + 1},
        str(c): set(range(1, c_lines + 1)),
        str(d): set(range(1, c_lines + 1)),
    }
    assert changed_lines.changed_lines("HEAD", str(repo), staged=True) == {
        str(b): {first + 1},
        str(c): set(range(1, c_lines + 1)),
    }

    findings = analyze([repo]).findings
    assert len(findings) == 6
    new = changed_lines.keep(findings, changed)
    assert sorted((os.path.basename(f.position.path), f.position.line) for f in new) == \
        [("a.c", first + 1), ("b.c", first + 1), ("c.c", first), ("d.c", first)]
    staged = changed_lines.keep(findings, changed_lines.changed_lines("HEAD", str(repo), staged=True))
    assert sorted(os.path.basename(f.position.path) for f in staged) == ["b.c", "c.c"]


def test_changed_lines_against_an_older_commit_and_deleted_files(repo):
    a, first = c_file(repo / "a.c", f"  {BUG}\n")
    gone = write(repo / "gone.c", "int x;\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "tag", "v1")
    a.write_text(a.read_text().replace(f"  {BUG}\n", f"  {BUG}\n  {BUG}\n"))
    git(repo, "rm", "-q", "gone.c")
    git(repo, "commit", "-q", "-am", "two")
    assert changed_lines.changed_lines("v1", str(repo)) == {str(a): {first + 1}}
    assert changed_lines.changed_lines("HEAD", str(repo)) == {}
    assert not gone.exists()


def test_changed_lines_errors(repo, tmp_path):
    with pytest.raises(changed_lines.ChangedLinesError, match="not a git repository") as caught:
        changed_lines.changed_lines("HEAD", str(tmp_path))
    assert "\n" not in str(caught.value)
    write(repo / "a.c", "int x;\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    with pytest.raises(changed_lines.ChangedLinesError, match="bad revision 'no-such-ref'"):
        changed_lines.changed_lines("no-such-ref", str(repo))
    with pytest.raises(changed_lines.ChangedLinesError, match="invalid git revision"):
        changed_lines.changed_lines("--output=/tmp/x", str(repo))


def test_parse_diff_hunks():
    text = """diff --git a/x.c b/x.c
--- a/x.c
+++ b/x.c
@@ -3 +3 @@ int f(void)
@@ -10,2 +9,0 @@
@@ -20,0 +19,3 @@
diff --git "a/t\\303\\251st.c" "b/t\\303\\251st.c"
--- "a/t\\303\\251st.c"
+++ "b/t\\303\\251st.c"
@@ -1 +1,2 @@
diff --git a/old.c b/old.c
--- a/old.c
+++ /dev/null
@@ -1,5 +0,0 @@
"""
    changed = changed_lines.parse_diff(text, "/r")
    assert changed == {os.path.realpath("/r/x.c"): {3, 19, 20, 21}, os.path.realpath("/r/tést.c"): {1, 2}}
