"""Thin adapters that let other agent frameworks call agentforge's models and router.

- `langchain.AgentforgeChatModel`: a LangChain `BaseChatModel` (LangGraph nodes, chains, agents).

Each bridge imports its framework lazily and says which extra to install when it is missing.
"""
