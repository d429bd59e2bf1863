"""HTTP API: one workspace's runtime over FastAPI."""

from agentforge.api.app import create_app

__all__ = ["create_app"]
