"""agentforge.plan"""
