"""agentforge.cli"""
