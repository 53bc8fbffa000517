"""What the project knows about each benchmark source.

>>> META_TOOLS
('ask_to_user', 'finish')
"""

from __future__ import annotations

META_TOOLS: tuple[str, ...] = ("ask_to_user", "finish")
"""The ReAct meta-tools of RoTBench and ToolEyes, in the order their prompts list them (last)."""

NOT_GIVEN = "None"
"""What RoTBench's gold writes for an optional argument the call leaves out."""
