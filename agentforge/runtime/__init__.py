"""Serve module calls: routing, validation, fallbacks and traces."""

from agentforge.runtime.engine import Engine

__all__ = ["Engine"]
