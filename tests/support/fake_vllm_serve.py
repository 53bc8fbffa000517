"""Stands in for `vllm serve MODEL --port P ...` in tests of scripts that start one: serves the
stand-in chat model of ``fake_chat`` on 127.0.0.1:P (with /health) until killed."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.fake_chat import serve_fake_llm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--port", type=int, required=True)
    args, _ = parser.parse_known_args()
    with serve_fake_llm(port=args.port, watchdog_s=600):
        time.sleep(600)


if __name__ == "__main__":
    main()
