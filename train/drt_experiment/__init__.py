"""The DR+T CPU experiment (issues 16 and 24): does a short DR+T run teach a tiny model to retry
after a tool fault, and to retry the right tool?

- ``warm_start``: fresh initial weights per seed and the supervised warm starts that give GRPO
  rewards that differ (answer layouts; the row's tools and an undecided choice after a fault);
- ``retry_eval``: every row under each of the six faults, turn 1 fixed to the row's own call, the
  retry and right-tool rates per fault with bootstrap intervals over rows.

``benchmarks/drt_retry.py`` runs it; tests use the same code.
"""
