"""agentforge.runtime"""
