"""Load and validate the declarative catalogs, so a typo in a YAML file fails loudly at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentforge.artifacts import CatalogEntries, Framework
from agentforge.errors import CatalogError

REPO_ROOT = Path(__file__).resolve().parents[2]

M = TypeVar("M", bound=BaseModel)

OutputForm = Literal["label", "json", "text", "number"]


class Detection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    output_types: list[str] = Field(default_factory=list)
    """Output schema shapes that suggest this kind: enum, literal, object, string, number, integer."""
    name_hints: list[str] = Field(default_factory=list)
    """Words in a function's name or intent that suggest this kind."""


class KindSpec(BaseModel):
    """A module kind: how to prompt it, what its output looks like, how to score it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    output: OutputForm
    metric: Literal["exact_match", "field_f1", "similarity", "mae"]
    training_format: Literal["label", "json", "text"]
    system: str
    """Template with `{role}`, `{instructions}`, `{labels}`, `{schema}`."""
    user: str
    """Template with `{intent}` and `{inputs}`."""
    detection: Detection = Field(default_factory=Detection)


def _langgraph_only() -> list[Framework]:
    return ["langgraph"]


class RoleSpec(BaseModel):
    """An agent role: who answers, with which instructions and tools."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    instructions: str
    kinds: list[str]
    tools: list[str] = Field(default_factory=list)
    """What the role may use; `modules`: the other modules a composed module calls (a coordinator)."""
    frameworks: list[Framework] = Field(default_factory=_langgraph_only)
    """The agent frameworks this role can run on (a module's plan picks one)."""


class Catalog(BaseModel):
    kinds: dict[str, KindSpec]
    roles: dict[str, RoleSpec]
    kind_files: dict[str, Path] = Field(default_factory=dict)
    """The YAML file each kind was read from (a workspace's file when it overrides a built-in one)."""
    role_files: dict[str, Path] = Field(default_factory=dict)
    """The YAML file each role was read from."""

    def workspace_entries(self) -> CatalogEntries:
        """The entries read from outside the built-in folders (a workspace's additions and overrides)."""
        return CatalogEntries(
            kinds={n: k.model_dump(mode="json") for n, k in self.kinds.items() if not _builtin(self.kind_files.get(n))},
            roles={n: r.model_dump(mode="json") for n, r in self.roles.items() if not _builtin(self.role_files.get(n))},
        )

    def kind(self, name: str) -> KindSpec:
        try:
            return self.kinds[name]
        except KeyError:
            raise CatalogError(f"unknown module kind {name!r}; known: {', '.join(sorted(self.kinds))}") from None

    def role(self, name: str) -> RoleSpec:
        try:
            return self.roles[name]
        except KeyError:
            raise CatalogError(f"unknown agent role {name!r}; known: {', '.join(sorted(self.roles))}") from None

    def roles_for(self, kind: str) -> list[RoleSpec]:
        return [r for r in self.roles.values() if kind in r.kinds]

    def role_serving(self, role: str, kind: str, framework: str | None = None) -> RoleSpec:
        """The role, checked to exist, to serve the kind and to run on the framework (plans are edited by hand
        and in review)."""
        spec = self.role(role)
        if kind not in spec.kinds:
            serving = ", ".join(r.name for r in self.roles_for(kind))
            raise CatalogError(f"agent role {role!r} does not serve kind {kind!r}; roles that do: {serving}")
        if framework is not None and framework not in spec.frameworks:
            runs_on = ", ".join(spec.frameworks)
            raise CatalogError(f"agent role {role!r} does not run on {framework!r}; it runs on: {runs_on}")
        return spec


def _load_dir(folder: Path, model: type[M]) -> dict[str, tuple[M, Path]]:
    items: dict[str, tuple[M, Path]] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CatalogError(f"{path}: invalid {model.__name__}: {exc}") from exc
        items[path.stem] = (_entry(model, data, path.stem, path), path)
    return items


def load_catalog(extra_dirs: Sequence[Path] = ()) -> Catalog:
    """The built-in catalog plus workspace folders, each holding `modules/` and/or `agents/` (later ones win).

    Raises `CatalogError` when a folder is missing or holds neither, or any entry is invalid."""
    dirs = tuple(Path(d).resolve() for d in extra_dirs)
    for folder in dirs:
        if not (folder / "modules").is_dir() and not (folder / "agents").is_dir():
            raise CatalogError(f"catalog folder {folder} has no modules/ or agents/ folder of YAML entries")
    return _load_cached(dirs)


def _builtin(path: Path | None) -> bool:
    return path is not None and path.parent in (REPO_ROOT / "modules", REPO_ROOT / "agents")


@lru_cache(maxsize=8)
def _load_cached(extra_dirs: tuple[Path, ...]) -> Catalog:
    kinds: dict[str, tuple[KindSpec, Path]] = {}
    roles: dict[str, tuple[RoleSpec, Path]] = {}
    for base in (REPO_ROOT, *extra_dirs):
        kinds.update(_load_dir(base / "modules", KindSpec))
        roles.update(_load_dir(base / "agents", RoleSpec))
    return _assemble(kinds, roles)


def _assemble(kinds: dict[str, tuple[KindSpec, Path]], roles: dict[str, tuple[RoleSpec, Path]]) -> Catalog:
    if not kinds or not roles:
        raise CatalogError(f"no module kinds or agent roles found under {REPO_ROOT}")
    for role, path in roles.values():
        unknown = set(role.kinds) - set(kinds)
        if unknown:
            raise CatalogError(f"{path}: agent role {role.name!r} serves unknown kinds: {sorted(unknown)}")
    return Catalog(
        kinds={name: kind for name, (kind, _) in kinds.items()},
        roles={name: role for name, (role, _) in roles.items()},
        kind_files={name: path for name, (_, path) in kinds.items()},
        role_files={name: path for name, (_, path) in roles.items()},
    )


def catalog_with(entries: CatalogEntries, source: str = "workspace") -> Catalog:
    """The built-in catalog plus a workspace's entries as a manifest or the store keeps them (checked like
    files; `source` names where they came from in errors and in `kind_files`/`role_files`)."""
    if not entries.kinds and not entries.roles:
        return load_catalog()
    base = load_catalog()
    kinds = {n: (k, base.kind_files[n]) for n, k in base.kinds.items()}
    roles = {n: (r, base.role_files[n]) for n, r in base.roles.items()}
    for name, data in entries.kinds.items():
        path = Path(source, "modules", f"{name}.yaml")
        kinds[name] = (_entry(KindSpec, data, name, path), path)
    for name, data in entries.roles.items():
        path = Path(source, "agents", f"{name}.yaml")
        roles[name] = (_entry(RoleSpec, data, name, path), path)
    return _assemble(kinds, roles)


def _entry(model: type[M], data: object, name: str, path: Path) -> M:
    try:
        item = model.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"{path}: invalid {model.__name__}: {exc}") from exc
    if getattr(item, "name", name) != name:
        raise CatalogError(f"{path}: name {getattr(item, 'name', '')!r} must match the file name {name!r}")
    return item
