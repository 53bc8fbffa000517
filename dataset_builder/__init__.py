"""Builds the RobustBench-TC dataset folder (Hub dataset repo layout) from the pinned sources.

``robustbench-tc build`` / ``build.build_dataset``: load the 199 clean samples (``sources/``,
one loader per upstream benchmark, sha256-pinned inputs from ``pins``), add the six transition
configs and the 16 static perturbation configs, write ``data/<config>.jsonl`` and the card.
"""
