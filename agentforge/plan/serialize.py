"""Plans as YAML files a person can read, review and edit next to the app."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from agentforge.artifacts import ModulePlan, Plan
from agentforge.catalog import Catalog, load_catalog
from agentforge.errors import CatalogError, PlanError
from agentforge.plan.rules import MODULE_TOOLS


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line text (Mermaid, intents, source) as `|` blocks, not escaped lines,
    and never emits `&id001` anchors for values that happen to be shared."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """The YAML style of every agentforge artifact file: keys in model order, block text, UTF-8 as is."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def plan_to_yaml(plan: Plan) -> str:
    return dump_yaml(plan.model_dump(mode="json"))


def plan_from_yaml(text: str, *, catalog: Catalog | None = None) -> Plan:
    """Parse and validate a plan file, including that every kind and role exists in the catalog (the
    built-in one unless given) and that each role serves its kind, since plan files are edited by hand."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanError(f"the plan is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PlanError(f"the plan must be a YAML mapping with root, base_model and modules, got {data!r:.80}")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(f"the plan does not fit the Plan schema: {exc}") from exc
    catalog = catalog or load_catalog()
    planned = {module.module_id for module in plan.modules}
    for module in plan.modules:
        try:
            catalog.kind(module.kind)
            catalog.role_serving(module.agent_role, module.kind, module.framework)
            if module.reviewer is not None:
                catalog.role_serving(module.reviewer, module.kind, module.framework)
                if module.framework != "langgraph":
                    raise CatalogError(f"a writer → reviewer team runs on langgraph, not {module.framework!r}")
            _check_tools(module, planned, catalog)
        except CatalogError as exc:
            raise PlanError(f"{module.module_id}: {exc}") from exc
    return plan


def _check_tools(module: ModulePlan, planned: set[str], catalog: Catalog) -> None:
    """A coordinator's tools are other modules of the plan, and its role may call modules."""
    if not module.tools:
        return
    if MODULE_TOOLS not in catalog.role(module.agent_role).tools:
        raise CatalogError(f"role {module.agent_role!r} cannot call modules (its tools lack {MODULE_TOOLS!r})")
    unknown = [tool for tool in module.tools if tool not in planned or tool == module.module_id]
    if unknown:
        raise CatalogError(f"tools must be other modules of this plan; not: {', '.join(unknown)}")
