"""Stopping a run cleanly: SIGTERM/SIGINT end generation, the engine and every process it started
are shut down (within ``SHUTDOWN_TIMEOUT_S``), and the CLI exits with a resume hint.

A signal handler raises ``RunInterrupted`` in the main thread, so the run unwinds through its
normal ``finally`` blocks: finished chunks are already fsynced in ``--out``, and the backend's
``close`` stops the engine. vLLM's own shutdown is asked first; any child process still alive
after it (EngineCore, workers) is terminated, then killed. A second signal while that happens is
ignored, so an impatient double Ctrl-C cannot strand processes holding GPU memory.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

SHUTDOWN_TIMEOUT_S = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT arrived; ``signum`` says which (exit status ``128 + signum``).

    >>> RunInterrupted(signal.SIGTERM).exit_status
    143
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT raise ``RunInterrupted`` in the main thread (outside the
    main thread this does nothing: Python delivers signals only there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise RunInterrupted(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ignore SIGTERM/SIGINT inside (used while the engine shuts down)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
