"""The built-in catalogs: module kinds (`modules/`) and agent roles (`agents/`), one YAML file each."""

from agentforge.catalog.loader import Catalog, KindSpec, RoleSpec, catalog_with, load_catalog

__all__ = ["Catalog", "KindSpec", "RoleSpec", "catalog_with", "load_catalog"]
