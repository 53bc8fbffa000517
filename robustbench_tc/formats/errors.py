"""The one error type of the prompt codecs."""

from __future__ import annotations


class FormatError(ValueError):
    """A prompt or tool list does not have the layout its source uses; the message says where."""
