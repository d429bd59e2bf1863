"""The client module a JS/TS app's rewritten stubs import: generated from a template per module system.

One template per language (typed TypeScript, JSDoc-typed JavaScript), filled with the app's module ids; the
CommonJS form is the ES module form with its exports collected into `module.exports`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from enum import StrEnum
from importlib.resources import files

CLIENT_STEM = "agentforge_client"
CALL = "agentforgeCall"
CALL_SYNC = "agentforgeCallSync"
PIECES = "agentforgePieces"
FEED = "agentforgeFeed"


class Flavor(StrEnum):
    """How a file imports: TypeScript (any module system, compiled by tsc), ES modules, CommonJS."""

    TS = "ts"
    ESM = "mjs"
    CJS = "cjs"

    @property
    def filename(self) -> str:
        return f"{CLIENT_STEM}.{self.value}"


def _template(name: str) -> str:
    return files("agentforge.build").joinpath("clients", name).read_text(encoding="utf-8")


def render_client(flavor: Flavor, module_ids: Sequence[str]) -> str:
    """The client's source for `flavor`, knowing the app's `module_ids`."""
    ids = sorted(set(module_ids))
    sync_script = json.dumps(_template("sync_request.js"))
    if flavor is Flavor.TS:
        union = " | ".join(json.dumps(i, ensure_ascii=False) for i in ids) or "never"
        return _template("client.ts").replace("__MODULE_IDS__", union).replace("__SYNC_SCRIPT__", sync_script)
    source = (
        _template("client.js")
        .replace("__MODULE_IDS__", json.dumps(ids, ensure_ascii=False))
        .replace("__SYNC_SCRIPT__", sync_script)
    )
    if flavor is Flavor.ESM:
        return source
    exported = re.findall(r"^export (?:async function|function|class|const) (\w+)", source, flags=re.MULTILINE)
    source = re.sub(r"^export ", "", source, flags=re.MULTILINE)
    return '"use strict";\n' + source + f"\nmodule.exports = {{ {', '.join(exported)} }};\n"
