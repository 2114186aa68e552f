"""`signlint merge`: the shards' reports together are the unsharded report."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from test_parallel import make_tree


@pytest.mark.parametrize("format_", ["json", "sarif"])
def test_merged_shards_equal_the_unsharded_report(tmp_path, format_):
    make_tree(tmp_path / "tree", count=12)  # a header shared by TUs of every shard
    whole = run_cli("check", "--no-cache", "--format", format_, "tree", cwd=tmp_path)
    assert whole.returncode == 1
    shards = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard{k}.{format_}"
        result = run_cli("check", "--no-cache", "--format", format_, "--shard", f"{k}/3", "-o", str(out), "tree",
                         cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        shards.append(out)
    counts = [len(_results(json.loads(p.read_text()), format_)) for p in shards]
    total = len(_results(json.loads(whole.stdout), format_))
    assert all(counts) and sum(counts) > total  # the header's findings are in every shard
    merged = run_cli("merge", *map(str, shards), cwd=tmp_path)
    assert merged.returncode == 0 and merged.stderr == ""
    assert json.loads(merged.stdout) == json.loads(whole.stdout)
    # The order of the files does not matter, and -o writes the same.
    run_cli("merge", "-o", str(tmp_path / "m"), *map(str, reversed(shards)), cwd=tmp_path)
    assert json.loads((tmp_path / "m").read_text()) == json.loads(whole.stdout)


def _results(document, format_):
    return document["findings"] if format_ == "json" else document["runs"][0]["results"]


def test_macro_notes_from_several_shards_are_united(tmp_path):
    make_tree(tmp_path / "tree", count=12)
    outputs = []
    for k in (1, 2):
        out = tmp_path / f"s{k}.json"
        run_cli("check", "--no-cache", "--format", "json", "--shard", f"{k}/2", "-o", str(out), "tree", cwd=tmp_path)
        outputs.append(out)
    merged = json.loads(run_cli("merge", *map(str, outputs), cwd=tmp_path).stdout)
    macro = next(f for f in merged["findings"] if f["path"] == "tree/common.h" and f["line"] == 2)
    assert len(macro["notes"]) == 12  # one expansion per unit, from both shards


def test_bad_inputs_are_one_line_errors(tmp_path):
    (tmp_path / "a.c").write_text("int f(void) { return 0; }\n")
    report = tmp_path / "r.json"
    run_cli("check", "--format", "json", "-o", str(report), str(tmp_path / "a.c"))
    sarif = tmp_path / "r.sarif"
    run_cli("check", "--format", "sarif", "-o", str(sarif), str(tmp_path / "a.c"))
    (tmp_path / "junk.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"hello": 1}')
    for files, message in (([report, sarif], "cannot merge JSON reports with SARIF logs"),
                           ([report, tmp_path / "junk.json"], "is not valid JSON"),
                           ([tmp_path / "other.json"], "neither a signlint JSON report"),
                           ([tmp_path / "missing.json"], "cannot read")):
        result = run_cli("merge", *map(str, files))
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
