"""agentforge.catalog"""
