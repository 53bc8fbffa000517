"""Test-only helpers shared across the test packages: CI-aware skips (``requires``), a stand-in
OpenAI-compatible chat server and its `vllm serve` stand-in (``fake_chat``, ``fake_vllm_serve``),
and the real `vllm serve` launcher (``vllm_server``)."""
