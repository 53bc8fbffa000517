"""Stopping a launched multi-process run and every process under it.

``accelerate launch`` starts torch's elastic agent, which starts each rank in a session of its own
(``start_new_session``), so killing the launcher's process group leaves the ranks running, still
holding the launcher's stdout and stderr: a caller reading those pipes then waits forever. The
tree is walked by parent pid instead, and the stacks of a hung run are kept before it is killed.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess

import psutil


def descendants(pid: int) -> list[psutil.Process]:
    """Every live process under ``pid`` (children first, then theirs), whatever session it is in.

    >>> descendants(2**22 + 1)  # no such process
    []
    """
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def stack_dumps(processes: list[psutil.Process], *, timeout_s: float = 20.0) -> str:
    """The Python and native stacks of each process by ``py-spy dump`` (empty without py-spy on
    PATH): where a hung rank waits, kept before it is killed."""
    spy = shutil.which("py-spy")
    if spy is None:
        return ""
    dumps = []
    for p in processes:
        with contextlib.suppress(psutil.Error, subprocess.SubprocessError, OSError):
            cmd = " ".join(p.cmdline()[:4])
            done = subprocess.run([spy, "dump", "--native", "--pid", str(p.pid)], capture_output=True,
                                  text=True, timeout=timeout_s)  # fmt: skip
            dumps.append(f"--- pid {p.pid}: {cmd}\n{done.stdout}{done.stderr}")
    return "\n".join(dumps)


def kill_tree(pid: int) -> list[psutil.Process]:
    """SIGKILL ``pid`` and every process under it (found before any is killed, since an orphan
    leaves the tree); returns the processes that were killed."""
    tree = descendants(pid)
    with contextlib.suppress(psutil.Error):
        tree.insert(0, psutil.Process(pid))
    for p in tree:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(tree, timeout=10)
    return tree
