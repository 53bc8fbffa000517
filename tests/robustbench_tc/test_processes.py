"""robustbench_tc.processes: a launcher whose child runs in a session of its own, as torch's elastic agent
starts each rank, is stopped with that child, so a caller reading their pipes is released."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import psutil
import pytest

from robustbench_tc.processes import descendants, kill_tree, stack_dumps

# a launcher that starts a "rank" with start_new_session=True, sharing its stdout, then both wait
LAUNCHER = textwrap.dedent(
    """
    import subprocess, sys, time
    rank = subprocess.Popen([sys.executable, "-c", "import time; print('rank up', flush=True); time.sleep(600)"],
                            start_new_session=True)
    print("launcher up", rank.pid, flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def launcher() -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    assert sorted(line.split()[0] for line in lines) == ["launcher", "rank"]
    yield proc
    kill_tree(proc.pid)
    proc.communicate(timeout=30)


def test_the_rank_is_in_another_session_and_killpg_misses_it(launcher: subprocess.Popen[str]) -> None:
    (rank,) = descendants(launcher.pid)
    assert os.getsid(rank.pid) != os.getsid(launcher.pid)
    launcher.kill()  # the launcher alone, as killing its process group does
    launcher.wait(timeout=30)
    assert rank.is_running()  # still holding the pipe: communicate() would wait for it
    with pytest.raises(subprocess.TimeoutExpired):
        launcher.communicate(timeout=1)
    rank.kill()


def test_kill_tree_stops_the_launcher_and_its_rank(launcher: subprocess.Popen[str]) -> None:
    (rank,) = descendants(launcher.pid)
    killed = kill_tree(launcher.pid)
    assert {p.pid for p in killed} == {launcher.pid, rank.pid}
    out, _ = launcher.communicate(timeout=30)  # both ends of the pipe are gone
    # (psutil reaped the launcher, so Popen cannot read its status)
    assert launcher.poll() is not None and not rank.is_running() and out == ""


@pytest.mark.skipif(shutil.which("py-spy") is None, reason="py-spy is not on PATH")
def test_stack_dumps_show_where_each_process_waits(launcher: subprocess.Popen[str]) -> None:
    dumps = stack_dumps([psutil.Process(launcher.pid), *descendants(launcher.pid)])
    assert dumps.count("--- pid ") == 2 and dumps.count("sleep") >= 2, dumps


def test_no_process_no_tree() -> None:
    assert descendants(2**22 + 1) == [] and kill_tree(2**22 + 1) == [] and stack_dumps([]) == ""
