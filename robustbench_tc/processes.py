"""Finding, stopping and inspecting the processes a run started (psutil; without it, none are found).

``eval_harness`` reaps the vLLM engine's processes with these; ``train`` stops a hung
``accelerate launch``. That launcher starts torch's elastic agent, which starts each rank in a session of its own
(``start_new_session``), so killing the launcher's process group leaves the ranks running, still
holding the launcher's stdout and stderr: a caller reading those pipes then waits forever. The
tree is walked by parent pid instead, and the stacks of a hung run are kept before it is killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from typing import Any


def descendants(pid: int | None = None) -> list[Any]:
    """Every live process (``psutil.Process``) under ``pid`` (default: this process), children
    first, then theirs, whatever session each is in; empty without psutil.

    >>> descendants(2**22 + 1)  # no such process
    []
    """
    try:
        import psutil
    except ImportError:
        return []
    try:
        return psutil.Process(os.getpid() if pid is None else pid).children(recursive=True)
    except psutil.Error:
        return []


def reap(processes: list[Any], deadline: float) -> list[Any]:
    """Terminate the processes still alive, wait until ``deadline`` (monotonic), then kill the
    rest; returns those that were still alive when killed."""
    if not processes:
        return []
    import psutil

    alive = [p for p in processes if _running(p)]
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(alive, timeout=max(0.1, deadline - time.monotonic()))
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5)
    return alive


def _running(process: Any) -> bool:
    try:
        return bool(process.is_running())
    except Exception:  # noqa: BLE001 - gone
        return False


def stack_dumps(processes: list[Any], *, timeout_s: float = 20.0) -> str:
    """The Python and native stacks of each process by ``py-spy dump`` (empty without py-spy on
    PATH): where a hung rank waits, kept before it is killed."""
    spy = shutil.which("py-spy")
    if spy is None or not processes:
        return ""
    import psutil

    dumps = []
    for p in processes:
        with contextlib.suppress(psutil.Error, subprocess.SubprocessError, OSError):
            cmd = " ".join(p.cmdline()[:4])
            done = subprocess.run([spy, "dump", "--native", "--pid", str(p.pid)], capture_output=True,
                                  text=True, timeout=timeout_s)  # fmt: skip
            dumps.append(f"--- pid {p.pid}: {cmd}\n{done.stdout}{done.stderr}")
    return "\n".join(dumps)


def kill_tree(pid: int) -> list[Any]:
    """SIGKILL ``pid`` and every process under it (found before any is killed, since an orphan
    leaves the tree); returns the processes that were killed."""
    import psutil

    tree = descendants(pid)
    with contextlib.suppress(psutil.Error):
        tree.insert(0, psutil.Process(pid))
    for p in tree:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(tree, timeout=10)
    return tree
