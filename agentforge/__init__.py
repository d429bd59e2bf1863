"""agentforge: turn a static prototype into a living, self-improving application."""

__version__ = "0.1.0"
