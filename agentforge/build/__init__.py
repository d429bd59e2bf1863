"""build: repo + plan -> a dynamic app (stubs rewritten to call the runtime) and its `agentforge.yaml`."""

from agentforge.build.app import DATA_DIR, MERMAID_FILE, PLAN_FILE, build_app
from agentforge.build.manifest import MANIFEST_FILE, load_manifest, write_manifest
from agentforge.build.rewrite import rewrite_python

__all__ = [
    "DATA_DIR",
    "MANIFEST_FILE",
    "MERMAID_FILE",
    "PLAN_FILE",
    "build_app",
    "load_manifest",
    "rewrite_python",
    "write_manifest",
]
