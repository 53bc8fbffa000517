"""RobustBench-TC core: taxonomy, records, parsing, scoring and statistics.

The four apps (``dataset_builder``, ``eval_harness``, ``space``, ``train``) import this
package and never each other.
"""

__version__ = "0.1.0"
