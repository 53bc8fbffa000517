"""The RobustBench-TC leaderboard Space: Gradio app, SQLite store, plots and ``robustbench-tc serve``."""
