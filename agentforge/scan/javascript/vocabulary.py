"""The flow reader's vocabulary: calls that reshape text, test it, count it, pick at random, wait, log, or
carry their arguments out; everything else a body calls is real work."""

from __future__ import annotations

FUNCTIONS = ("arrow_function", "function_expression", "function", "generator_function")
NORMALIZERS = frozenset({"toLowerCase", "toUpperCase", "trim", "trimStart", "trimEnd", "normalize",
                         "toLocaleLowerCase", "toLocaleUpperCase"})  # fmt: skip
CUTTERS = frozenset({"slice", "substring", "substr"})
TEXT_METHODS = frozenset({
    "split", "join", "replace", "replaceAll", "concat", "padStart", "padEnd", "repeat", "charAt", "at", "map",
    "filter", "flatMap", "flat", "find", "sort", "reverse", "toString", "toFixed", "keys", "values", "entries",
    "get", "trimStart", "trimEnd", "trim", "toLowerCase", "toUpperCase", "normalize", "fill", "with", "toSorted",
    "toReversed"
})  # fmt: skip
TEST_METHODS = frozenset({"includes", "startsWith", "endsWith", "indexOf", "match", "test", "search", "some",
                          "every", "has", "lastIndexOf", "localeCompare"})  # fmt: skip
COUNTS = frozenset({"length", "size"})
CARRIERS = frozenset({"JSON.stringify", "JSON.parse", "String", "Array.from", "Object.assign", "Object.fromEntries",
                      "Object.values", "Object.entries", "Object.keys", "structuredClone", "Array.of"})  # fmt: skip
READERS = frozenset({"Number", "Boolean", "parseInt", "parseFloat", "Array.isArray", "isNaN", "Object.is",
                     "Math.floor", "Math.ceil", "Math.round", "Math.min", "Math.max", "Math.abs", "Math.trunc",
                     "Math.pow", "Math.sqrt", "Number.isFinite", "encodeURIComponent",
                     "decodeURIComponent"})  # fmt: skip
CLOCK = ("Date.now", "performance.now", "crypto.randomUUID", "uuid", "uuidv4", "nanoid", "process.cwd")
LOGS = ("console.", "logger.", "log.")
SLEEPS = frozenset({"sleep", "delay", "wait", "pause", "timeout"})
BUILT = frozenset(
    {"Set", "Map", "Array", "Date", "URLSearchParams", "Error", "TypeError", "RegExp", "Object", "String"}
)
RESPONSE = frozenset({"json", "send", "write", "end", "status"})
ITERATORS = frozenset({"map", "filter", "flatMap", "find", "findLast", "some", "every", "forEach", "reduce", "sort",
                       "then"})  # fmt: skip
"""Methods that call their callback with the receiver's own items (or resolved value)."""
WRITES = frozenset({"writeFileSync", "writeFile", "appendFileSync", "appendFile", "outputFile", "outputFileSync"})
PATHS = ("path.join", "path.resolve", "path.basename", "path.dirname", "path.extname", "path.relative", "process.cwd")
MAX_DEPTH = 200
"""Expressions nested deeper than this are generated code, not a prototype's: reading stops there."""
