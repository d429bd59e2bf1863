"""Python support for the scan stage, read with tree-sitter-python."""

from agentforge.scan.python.extractor import PythonExtractor

__all__ = ["PythonExtractor"]
