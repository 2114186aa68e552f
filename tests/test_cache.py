"""The result cache: hits on an unchanged tree, misses on what changes the result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import ROOT, run_cli

from signlint.checks import DEFAULT_RULES
from signlint.front.files import discover
from signlint.run import schedule
from signlint.run.cache import Cache, finding_from, finding_to, info
from signlint.run.engine import Engine, Options
from signlint.run.schedule import RunOptions


def make_tree(folder):
    (folder / "inc").mkdir(parents=True)
    (folder / "inc" / "wide.h").write_text("typedef unsigned long long wide_t;\n")
    (folder / "a.c").write_text('#include "inc/wide.h"\nwide_t f(unsigned char b) { return b << 24; }\n')
    (folder / "b.c").write_text('#include "inc/wide.h"\nwide_t g(unsigned char b) { return b << 16; }\n')
    (folder / "c.c").write_text("unsigned long long h(unsigned char b) { return b << 24; }\n")
    return folder


def run(paths, cache_dir, jobs=0):
    engine = Engine(Options(DEFAULT_RULES))
    cache = Cache(str(cache_dir), DEFAULT_RULES)
    return schedule.run(engine, discover([str(p) for p in paths]), RunOptions(jobs=jobs, cache=cache))


def keys(report):
    return [(f.rule, f.position.path, f.position.line, f.message, f.fix) for f in report.findings]


def test_a_rerun_takes_every_tu_from_the_cache(tmp_path):
    tree = make_tree(tmp_path / "tree")
    cold = run([tree], tmp_path / "cache", jobs=2)
    assert (cold.parsed, cold.cached) == (3, 0)
    warm = run([tree], tmp_path / "cache", jobs=2)
    assert (warm.parsed, warm.cached) == (3, 3)
    assert keys(warm) == keys(cold) and len(cold.findings) == 2
    assert warm.findings == cold.findings  # the same records, fixes and all
    assert info(str(tmp_path / "cache"))[0] == 3


def test_editing_an_included_header_misses_only_its_includers(tmp_path):
    tree = make_tree(tmp_path / "tree")
    run([tree], tmp_path / "cache")
    (tree / "inc" / "wide.h").write_text("typedef unsigned int wide_t;\n")  # no sink any more
    report = run([tree], tmp_path / "cache")
    assert report.cached == 1  # c.c; a.c and b.c include the header
    assert [f.position.path for f in report.findings] == [str(tree / "c.c")]


def test_editing_the_file_flags_or_rules_misses(tmp_path):
    tree = make_tree(tmp_path / "tree")
    run([tree], tmp_path / "cache")
    (tree / "c.c").write_text("unsigned int h(unsigned char b) { return b << 24; }\n")
    assert run([tree], tmp_path / "cache").cached == 2
    engine = Engine(Options(DEFAULT_RULES, ["-DX=1"]))
    cache = Cache(str(tmp_path / "cache"), DEFAULT_RULES)
    report = schedule.run(engine, discover([str(tree)]), RunOptions(cache=cache))
    assert report.cached == 0
    other_rules = Cache(str(tmp_path / "cache"), frozenset({"SL001"}) | {"SL999"})
    report = schedule.run(Engine(Options(DEFAULT_RULES)), discover([str(tree)]), RunOptions(cache=other_rules))
    assert report.cached == 0


def test_reporting_other_files_misses(tmp_path):
    """What may be reported is part of the entry: naming a file alone, then its
    folder (which makes its headers reportable), does not reuse the entry."""
    tree = make_tree(tmp_path / "tree")
    run([tree / "a.c"], tmp_path / "cache")
    assert run([tree], tmp_path / "cache").cached == 0
    assert run([tree], tmp_path / "cache").cached == 3


def test_a_missing_include_is_not_cached(tmp_path):
    (tmp_path / "m.c").write_text('#include "later.h"\nint f(void) { return 0; }\n')
    run([tmp_path / "m.c"], tmp_path / "cache")
    report = run([tmp_path / "m.c"], tmp_path / "cache")
    assert report.cached == 0 and report.parse_errors == 1


def test_header_functions_skipped_by_a_cached_tu_are_covered(tmp_path):
    """b.c skipped the header function a.c walked; when a.c leaves the run, b.c's
    cached result (without it) is not enough: b.c is analysed again."""
    (tmp_path / "inline.h").write_text(
        "#include <stdint.h>\nstatic inline uint64_t hi(const uint8_t *p) { return p[0] << 24; }\n")
    for name in ("a.c", "b.c"):
        (tmp_path / name).write_text(f'#include "inline.h"\nuint64_t use_{name[0]}(const uint8_t *p) '
                                     "{ return hi(p); }\n")
    first = run([tmp_path], tmp_path / "cache")
    assert first.functions_skipped == 1 and len(first.findings) == 1
    (tmp_path / "a.c").write_text("int nothing(void) { return 0; }\n")  # no longer includes the header
    second = run([tmp_path], tmp_path / "cache")
    assert [f.function for f in second.findings] == ["hi"]


def test_cli_cache_dir_no_cache_and_clear(tmp_path):
    tree = make_tree(tmp_path / "tree")
    folder = tmp_path / "c"
    assert run_cli("check", "--no-cache", "--cache-dir", str(folder), str(tree)).returncode == 1
    assert not folder.exists()
    first = run_cli("check", "--cache-dir", str(folder), "--progress", "plain", str(tree))
    second = run_cli("check", "--cache-dir", str(folder), "--progress", "plain", str(tree))
    assert first.stdout == second.stdout and first.returncode == second.returncode == 1
    assert "3 analysed; 0 from cache" in first.stderr and "0 analysed; 3 from cache" in second.stderr
    assert (folder / "CACHEDIR.TAG").is_file()
    listed = run_cli("cache", "info", "--cache-dir", str(folder))
    assert "3 cached result(s)" in listed.stdout
    cleared = run_cli("cache", "clear", "--cache-dir", str(folder))
    assert cleared.returncode == 0 and "removed 3 cached result(s)" in cleared.stderr
    assert "0 analysed; 3 from cache" not in run_cli("check", "--cache-dir", str(folder), "--progress", "plain",
                                                     str(tree)).stderr


def test_default_folder_follows_xdg(tmp_path):
    tree = make_tree(tmp_path / "tree")
    xdg = tmp_path / "xdg"
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = dict(os.environ, XDG_CACHE_HOME=str(xdg), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "signlint", "check", str(tree)], env=env, capture_output=True, check=False)
    assert info(str(xdg / "signlint"))[0] == 3


def test_findings_survive_the_json_round_trip(tmp_path):
    tree = make_tree(tmp_path / "tree")
    report = run([tree], tmp_path / "cache")
    for finding in report.findings:
        assert finding_from(json.loads(json.dumps(finding_to(finding)))) == finding


def test_the_key_names_the_libclang_library_without_loading_it(tmp_path, monkeypatch):
    from signlint.run.cache import libclang_identity

    library = tmp_path / "libclang.so"
    library.write_bytes(b"one")
    monkeypatch.setenv("LIBCLANG_LIBRARY_FILE", str(library))
    first = libclang_identity()
    assert str(library) in first
    library.write_bytes(b"other")  # another build of the library: another key
    assert libclang_identity() != first
    monkeypatch.delenv("LIBCLANG_LIBRARY_FILE")
    monkeypatch.setenv("LIBCLANG_LIBRARY_PATH", str(tmp_path))  # the bindings look for libclang.so there
    assert str(library) in libclang_identity()
    monkeypatch.setenv("LIBCLANG_LIBRARY_PATH", str(tmp_path / "none"))  # no file: the loader's library, by version
    assert "clang version" in libclang_identity()
    a, b = Cache(str(tmp_path), DEFAULT_RULES, "lib a"), Cache(str(tmp_path), DEFAULT_RULES, "lib b")
    assert a._key("x.c", []) != b._key("x.c", [])


def test_the_code_digest_covers_every_module_of_signlint(tmp_path):
    """An edit anywhere in signlint (a rule, the analysis, not only run/) is new code:
    cached results and a live kbuild server of the old code must not be reused."""
    shutil.copytree(ROOT / "signlint", tmp_path / "signlint", ignore=shutil.ignore_patterns("__pycache__"))

    def digest() -> str:
        program = "from signlint.run.cache import code_digest; print(code_digest())"
        return subprocess.run([sys.executable, "-c", program], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(tmp_path)}, capture_output=True, text=True,
                              check=True).stdout
    seen = {digest()}
    for module in ("checks/sl001.py", "analysis/operators.py", "run/cache.py"):
        with open(tmp_path / "signlint" / module, "a") as fh:
            fh.write("\n# edited\n")
        seen.add(digest())
    assert len(seen) == 4
