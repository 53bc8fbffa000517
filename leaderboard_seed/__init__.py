"""The paper's 21 evaluated models as leaderboard rows (``seed.json``, built by ``build_seed.py``)."""

from pathlib import Path

SEED_PATH = Path(__file__).resolve().parent / "seed.json"
