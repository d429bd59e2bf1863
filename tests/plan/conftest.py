"""Hand-built module specs: planning reads only the spec, never code, so no scan is needed here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agentforge.artifacts import ByteSpan, Language, ModuleSpec

SpecFactory = Callable[..., ModuleSpec]


def make_spec(name: str, output_schema: dict[str, Any] | None = None, **fields: Any) -> ModuleSpec:
    span = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)
    return ModuleSpec(
        id=f"app.py::{name}",
        name=name,
        language=Language.PYTHON,
        path="app.py",
        span=span,
        body_span=span,
        output_schema=output_schema or {},
        **fields,
    )


@pytest.fixture
def spec() -> SpecFactory:
    return make_spec
