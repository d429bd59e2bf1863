"""HTTP API: one app's runtime (`create_app`), or every workspace's apps and runtime (`create_service`)."""

from agentforge.api.app import create_app
from agentforge.api.service import create_service

__all__ = ["create_app", "create_service"]
