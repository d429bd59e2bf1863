"""agentforge.store"""
