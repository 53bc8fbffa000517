"""Test-only helpers shared by test packages: a stand-in OpenAI-compatible chat server and
its `vllm serve` stand-in (``fake_chat``, ``fake_vllm_serve``), and the real `vllm serve` launcher
(``vllm_server``)."""
