"""agentforge.learn"""
