"""agentforge.api"""
