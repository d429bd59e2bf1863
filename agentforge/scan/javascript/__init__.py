"""The JavaScript / TypeScript extractor (JS, JSX, TS, TSX), read with tree-sitter only."""

from agentforge.scan.javascript.extractor import JavaScriptExtractor, TypeScriptExtractor

__all__ = ["JavaScriptExtractor", "TypeScriptExtractor"]
