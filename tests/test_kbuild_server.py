"""kbuild mode's long-lived analyser (--server): the same output and exit status
as analysing in the process, one server for the calls of one tree, gone when
idle, and a server that cannot start or dies is said, never silent."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from conftest import ROOT
from test_kbuild import GCC, SPARSE, kbuild_probe, kbuild_run, make_tree


@pytest.fixture
def tree(tmp_path):
    root = make_tree(tmp_path / "tree")
    runtime = tempfile.mkdtemp(prefix="sl-", dir="/tmp")  # short: a socket's path has at most 104 bytes
    yield root, {"XDG_RUNTIME_DIR": runtime}
    for pid in servers(runtime):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(runtime, ignore_errors=True)


def servers(runtime) -> list[int]:
    """Processes serving a socket under runtime."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    argv = fh.read().split(b"\0")
            except OSError:
                continue
            if b"signlint.run.kbuild_server" in argv and any(a.startswith(str(runtime).encode()) for a in argv):
                found.append(int(entry))
    return found


def check(root, env, *options):
    return kbuild_run(root, "--no-cache", *options, *SPARSE, *GCC, "lib/a.c", env=env)


def socket_path(root, env) -> str:
    """The socket a kbuild call in root would use: asked of a process started as
    kbuild_run starts one (PYTHONPATH on the checkout), since the key holds the
    signlint folder, which in this process may be an installed copy."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    asked = subprocess.run([sys.executable, "-c", "import os; from signlint.run.kbuild_client import socket_path; "
                            "print(socket_path(os.getcwd()))"], cwd=root, env=environment, capture_output=True,
                           text=True, timeout=60, check=True)
    return asked.stdout.strip()


def test_the_server_answers_as_the_process_would_and_serves_the_next_call(tree):
    root, env = tree
    alone = check(root, env)
    assert "lib/a.c:6:24: warning:" in alone.stderr
    first = check(root, env, "--server")
    started = servers(env["XDG_RUNTIME_DIR"])
    second = check(root, env, "--server")
    for served in (first, second):
        assert (served.returncode, served.stdout, served.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert len(started) == 1 and servers(env["XDG_RUNTIME_DIR"]) == started


def test_the_server_caches_in_the_callers_cache_folder(tree):
    """The server looks up and stores results as the process would, in the cache
    folder of the process that asks (its XDG_CACHE_HOME, not the server's own)."""
    root, env = tree
    first = kbuild_run(root, "--server", *SPARSE, *GCC, "lib/a.c", env={**env, "XDG_CACHE_HOME": str(root / "one")})
    other = kbuild_run(root, "--server", *SPARSE, *GCC, "lib/a.c", env={**env, "XDG_CACHE_HOME": str(root / "two")})
    assert len(servers(env["XDG_RUNTIME_DIR"])) == 1
    for folder in ("one", "two"):
        assert list((root / folder / "signlint").rglob("*.json")), f"nothing cached in {folder}"
    cached = kbuild_probe(root, ("signlint.run.engine",), env={"XDG_CACHE_HOME": str(root / "two")})
    assert cached.stdout.strip() == "0 []", cached.stdout + cached.stderr  # a hit: no analysis in the process
    assert first.stderr == other.stderr == cached.stderr and "lib/a.c:6:24: warning:" in first.stderr


def test_a_served_call_imports_little(tree):
    """What a file costs the make run with a live server: the client parses its
    command line and waits; the cache, the records, json and the socket module's
    enums are the server's."""
    root, env = tree
    assert check(root, env, "--server").returncode == 0  # starts the server
    heavy = ("json", "socket", "dataclasses", "hashlib", "tempfile", "shlex", "signlint.records",
             "signlint.front.compdb", "signlint.run.cache", "signlint.decide.suppress", "signlint.report.output")
    served = kbuild_probe(root, heavy, "--server", env=env)
    assert served.stdout.strip() == "0 []", served.stdout + served.stderr
    assert "lib/a.c:6:24: warning:" in served.stderr


def test_a_server_whose_code_changed_hands_over_to_a_new_one(tree, tmp_path):
    """signlint edited while its server lives: the old server must not answer for
    the new code; it steps aside and the call is served by a new one."""
    root, env = tree
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "signlint", copy / "signlint", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**env, "PYTHONPATH": str(copy)}
    first = check(root, env, "--server")
    old = servers(env["XDG_RUNTIME_DIR"])
    with open(copy / "signlint" / "checks" / "sl001.py", "a") as fh:
        fh.write("\n# edited\n")
    second = check(root, env, "--server")
    deadline = time.monotonic() + 20  # the old server is on its way out
    while len(servers(env["XDG_RUNTIME_DIR"])) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    new = servers(env["XDG_RUNTIME_DIR"])
    assert len(old) == 1 and len(new) == 1 and new != old
    assert second.stderr == first.stderr and "lib/a.c:6:24: warning:" in first.stderr


def test_the_server_exits_by_itself_when_idle(tree):
    root, env = tree
    env = {**env, "SIGNLINT_KBUILD_SERVER_IDLE": "0.5"}
    assert check(root, env, "--server").returncode == 0
    path = socket_path(root, env)
    deadline = time.monotonic() + 20
    while (servers(env["XDG_RUNTIME_DIR"]) or os.path.exists(path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers(env["XDG_RUNTIME_DIR"]) == [] and not os.path.exists(path)


def test_a_server_that_cannot_start_is_said_and_the_file_is_analysed_here(tree):
    root, env = tree
    alone = check(root, env)
    blocked = os.path.join(env["XDG_RUNTIME_DIR"], "f")  # a file where the socket's folder would be
    open(blocked, "w").close()
    served = check(root, {"XDG_RUNTIME_DIR": blocked}, "--server")
    assert served.returncode == 0
    assert "signlint: warning: the kbuild server cannot be started" in served.stderr
    assert "analysing lib/a.c in this process" in served.stderr
    assert served.stderr.splitlines()[1:] == alone.stderr.splitlines()


def test_a_server_that_dies_costs_the_file_and_says_so(tree):
    """A server that closes without answering (as when libclang kills it): the
    warning and summary line of a file not analysed, exit status 0."""
    root, env = tree
    path = socket_path(root, env)
    os.makedirs(os.path.dirname(path), mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    asked = []

    def die_on_every_request() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            asked.append(connection.recv(1 << 16))
            connection.close()

    threading.Thread(target=die_on_every_request, daemon=True).start()
    try:
        served = check(root, env, "--server")
    finally:
        listener.close()
    assert served.returncode == 0
    assert "lib/a.c: not analysed: the kbuild server died while analysing it" in served.stderr
    assert "not analysed" in served.stderr.splitlines()[-1]
    assert len(asked) == 2 and all(b"\0lib/a.c\0" in a for a in asked)  # one retry
