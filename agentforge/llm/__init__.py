"""agentforge.llm"""
