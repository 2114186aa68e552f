"""-o FILE: permissions, symlinks, devices and `-` (issue 11, item 6)."""

from __future__ import annotations

import contextlib
import json
import os
import stat

import pytest
from conftest import run_cli

from signlint.report.report_file import write_text

BUGGY = "#include <stdint.h>\nuint64_t f(uint8_t b) { return b << 24; }\n"


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_report_takes_the_umask_mode_not_0600(tmp_path, umask_022):
    write_text(str(tmp_path / "r.json"), "{}\n")
    assert mode(tmp_path / "r.json") == 0o644


def test_a_replaced_report_keeps_its_mode(tmp_path, umask_022):
    report = tmp_path / "r.json"
    report.write_text("old")
    report.chmod(0o640)
    write_text(str(report), "new")
    assert report.read_text() == "new" and mode(report) == 0o640


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "reports").mkdir()
    target = tmp_path / "reports" / "latest.sarif"
    target.write_text("old")
    link = tmp_path / "report.sarif"
    link.symlink_to(target)
    write_text(str(link), "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".signlint-")] == []


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "report.json"
    link.symlink_to(tmp_path / "made.json")
    write_text(str(link), "x")
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "x"


def test_a_pipe_named_by_dev_fd_is_written_to(tmp_path):
    read_end, write_end = os.pipe()
    try:
        write_text(f"/dev/fd/{write_end}", "through the pipe\n")
        os.close(write_end)
        with os.fdopen(read_end) as fh:
            assert fh.read() == "through the pipe\n"
    finally:
        for fd in (read_end, write_end):
            with contextlib.suppress(OSError):
                os.close(fd)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError):
        write_text(str(tmp_path), "x")


def test_dash_is_stdout_and_no_file_is_made(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    result = run_cli("check", "--no-cache", "--format", "json", "-o", "-", "bad.c", cwd=tmp_path)
    assert result.returncode == 1
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["SL001"]
    assert not (tmp_path / "-").exists()


def test_dev_stdout_is_written_to(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    result = run_cli("check", "--no-cache", "--format", "json", "-o", "/dev/stdout", "bad.c", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["SL001"]


def test_an_unwritable_report_is_a_one_line_error(tmp_path):
    (tmp_path / "bad.c").write_text(BUGGY)
    result = run_cli("check", "--no-cache", "-o", str(tmp_path), "bad.c", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"signlint: error: cannot write {tmp_path}: ")
    assert "Traceback" not in result.stderr


def test_a_temporary_file_of_a_killed_run_is_removed_by_the_next_write(tmp_path):
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid no longer runs
    stale = tmp_path / f".signlint-{dead.pid}-abc123.tmp"
    alive = tmp_path / f".signlint-{os.getpid()}-def456.tmp"  # a run still going: kept
    stale.write_text("half")
    alive.write_text("busy")
    write_text(str(tmp_path / "r.json"), "{}")
    assert not stale.exists() and alive.exists()
