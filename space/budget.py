"""Run one submission's parsing and scoring in a forked child with a time budget.

The child inherits the gold answers (fork, copy-on-write), so nothing is reloaded; it sends its
result back through a pipe and exits. Past the budget it is killed (SIGKILL), so a file that makes
the parser slow costs at most the budget, and whatever memory parsing a hostile file took is
returned to the system with the child instead of staying in the server process. Where ``fork``
is unavailable (not Linux/macOS) the function runs in-process without a budget.

The server has other threads, and a forked child gets only the forking one: any lock another
thread held at the fork stays held in the child. So the child's work must not touch anything those
threads lock (the database, logging, Gradio's state): submissions parse and score in the child
and check the database back in the server.

>>> run_with_budget(sum, [1, 2, 3], seconds=30)
6
>>> import time
>>> run_with_budget(time.sleep, 5, seconds=0.2)
Traceback (most recent call last):
...
space.budget.BudgetExceeded: stopped after the 0.2 s time budget
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

from robustbench_tc.errors import RobustBenchError

T = TypeVar("T")


class BudgetExceeded(RobustBenchError, RuntimeError):
    """The child ran past its time budget and was killed."""


class ChildFailed(RobustBenchError, RuntimeError):
    """The child died without a result (killed from outside, out of memory)."""


def run_with_budget(fn: Callable[..., T], *args: Any, seconds: float) -> T:
    """``fn(*args)`` in a forked child; its return value, or its exception re-raised here.

    Both must be picklable. Raises ``BudgetExceeded`` past ``seconds`` (the child is killed).
    """
    if not hasattr(os, "fork"):
        return fn(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write, leave without running the parent's cleanup
        code = 0
        try:
            os.close(read_fd)
            try:
                payload: tuple[str, Any] = ("ok", fn(*args))
            except BaseException as exc:  # noqa: BLE001 - sent to the parent, which re-raises it
                payload = ("error", exc)
            try:
                data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001
                data = pickle.dumps(("error", RuntimeError(f"unpicklable result: {exc!r}")))
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view) :]
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BudgetExceeded(f"stopped after the {seconds:g} s time budget")
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        raise ChildFailed(f"the scoring process ended without a result (status {status})")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        raise value
    return value


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
