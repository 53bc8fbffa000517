"""The evaluation harness: `robustbench-tc run` generates a predictions file for a model.

Backends (``eval_harness.backends``): ``vllm`` (offline engine), ``openai`` (any
OpenAI-compatible server) and ``transformers`` (CPU fallback). Runs resume after a kill.
"""
