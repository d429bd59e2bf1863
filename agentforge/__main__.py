"""`python -m agentforge` is the `agentforge` command."""

from agentforge.cli.main import app

app()
