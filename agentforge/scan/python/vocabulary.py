"""The flow reader's vocabulary: calls that reshape text, test it, count it, pick at random, wait, log, or
carry their arguments out; everything else a body calls is real work."""

from __future__ import annotations

TEXT_METHODS = frozenset({
    "strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "casefold", "split", "rsplit",
    "splitlines", "join", "replace", "format", "format_map", "removeprefix", "removesuffix", "zfill", "ljust",
    "rjust", "center", "partition", "rpartition", "expandtabs", "encode", "decode", "get", "items", "keys",
    "values", "copy", "strftime", "isoformat"
})  # fmt: skip
"""Methods that reshape text and containers: their result is still the input's own text."""
TEST_METHODS = frozenset({"startswith", "endswith", "find", "rfind", "index", "rindex", "__contains__"})
NORMALIZERS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title", "capitalize"})
COUNTS = frozenset({"len", "count"})
BUILTINS = frozenset({
    "str", "repr", "int", "float", "bool", "list", "tuple", "set", "frozenset", "dict", "sorted", "reversed",
    "enumerate", "zip", "range", "min", "max", "sum", "abs", "round", "any", "all", "map", "filter", "iter", "next",
    "isinstance", "issubclass", "hasattr", "getattr", "type", "format", "ord", "chr", "hex", "bin", "divmod",
    "json.dumps", "json.loads", "textwrap.shorten", "textwrap.fill", "textwrap.dedent", "html.escape", "str.join"
})  # fmt: skip
ARITHMETIC = frozenset({"sum", "min", "max", "abs", "round", "divmod", "int", "float"})
CARRIERS = frozenset({
    "str", "list", "tuple", "set", "frozenset", "dict", "sorted", "reversed", "enumerate", "zip", "map", "filter",
    "iter", "next", "format", "json.dumps", "textwrap.shorten", "textwrap.fill", "textwrap.dedent", "html.escape",
    "str.join"
})  # fmt: skip
"""Builtins whose result holds their arguments' content; every other builtin only reads its arguments."""
REGEX = frozenset({"findall", "search", "match", "fullmatch", "sub", "subn", "split", "finditer", "compile"})
RANDOM_CALLS = frozenset({"choice", "choices", "sample", "shuffle", "randint", "random", "uniform", "randrange"})
CLOCK = frozenset(
    {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.monotonic",
     "uuid.uuid4", "uuid.uuid1", "os.getenv", "os.environ.get", "getenv", "secrets.token_hex"}
)  # fmt: skip
SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "sleep", "anyio.sleep", "trio.sleep"})
LOGS = frozenset({"print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "pprint"})
WRAPPERS = frozenset(
    {"jsonify", "JSONResponse", "make_response", "Response", "HTMLResponse", "PlainTextResponse", "ORJSONResponse",
     "UJSONResponse", "dict", "json.dumps", "str", "StreamingResponse", "EventSourceResponse"}
)  # fmt: skip
"""Calls that only carry their argument out (a web framework's response, a conversion)."""
SINKS = frozenset({"append", "extend", "add", "update", "insert", "setdefault", "appendleft", "put"})
WRITES = frozenset({"write", "writelines", "dump"})
INPUT_NAMES = frozenset({"request", "req"})
"""Framework globals that hold the caller's input in a route handler (Flask's `request`)."""
MAX_DEPTH = 200
"""Expressions nested deeper than this are generated code, not a prototype's: reading stops there."""
