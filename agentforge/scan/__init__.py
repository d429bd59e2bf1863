"""agentforge.scan"""
