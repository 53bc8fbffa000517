"""ToolRL-DR: GRPO with TRL on perturbation-augmented ToolRL data (docs/training.md)."""
