"""Apps of one module, for the tests that train or retrieve on corrections: a classifier, an extractor."""

from __future__ import annotations

from agentforge.artifacts import ByteSpan, Language, Manifest, ModulePlan, ModuleSpec, Plan, Policy

SPAN = ByteSpan(start_byte=0, end_byte=1, start_line=1, end_line=1)


def label_manifest(
    module_id: str, labels: list[str], *, input_name: str, intent: str, title: str | None = None
) -> Manifest:
    """`module_id` (`path::name`) takes one string `input_name` and answers one of `labels` (the first is its static
    value), as a `classify` module with the `classifier` role and no retries."""
    path, name = module_id.split("::")
    output: dict[str, object] = {"type": "string", "enum": labels}
    if title is not None:
        output["title"] = title
    spec = ModuleSpec(
        id=module_id,
        name=name,
        language=Language.PYTHON,
        path=path,
        span=SPAN,
        body_span=SPAN,
        input_schema={"type": "object", "properties": {input_name: {"type": "string"}}, "required": [input_name]},
        output_schema=output,
        intent=intent,
        static_example=labels[0],
    )
    app = path.split("/")[0].removesuffix(".py")
    plan = ModulePlan(module_id=module_id, kind="classify", agent_role="classifier", policy=Policy(max_retries=0))
    return Manifest(
        app_name=app,
        source_root=app,
        specs=[spec],
        plan=Plan(root=app, base_model="smollm2-135m-instruct", modules=[plan]),
    )


def extraction_manifest(module_id: str, properties: dict[str, object], *, input_name: str, intent: str) -> Manifest:
    """`module_id` (`path::name`) takes one string `input_name` and answers an object of `properties` (none
    required; its static value is every field null), as an `extract` module with the `extractor` role and no
    retries."""
    path, name = module_id.split("::")
    spec = ModuleSpec(
        id=module_id,
        name=name,
        language=Language.PYTHON,
        path=path,
        span=SPAN,
        body_span=SPAN,
        input_schema={"type": "object", "properties": {input_name: {"type": "string"}}, "required": [input_name]},
        output_schema={"type": "object", "properties": properties},
        intent=intent,
        static_example=dict.fromkeys(properties),
    )
    app = path.split("/")[0].removesuffix(".py")
    plan = ModulePlan(module_id=module_id, kind="extract", agent_role="extractor", policy=Policy(max_retries=0))
    return Manifest(
        app_name=app,
        source_root=app,
        specs=[spec],
        plan=Plan(root=app, base_model="smollm2-135m-instruct", modules=[plan]),
    )
