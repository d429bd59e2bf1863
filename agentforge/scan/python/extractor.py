"""The Python extractor: index every file, then judge every function against that index.

Code is only ever parsed by tree-sitter, never imported or executed, so a prototype whose modules do
anything at import time (or are plain broken) is read exactly as safely as a clean one.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentforge.artifacts import Language, ModuleSpec, ScanWarning
from agentforge.scan.extractor import Extraction, SourceFile, first_error_line
from agentforge.scan.python.calls import link_calls
from agentforge.scan.python.detect import detect
from agentforge.scan.python.index import ParsedFile, RepoIndex
from agentforge.scan.python.sites import Site, sites
from agentforge.scan.python.spec import build_spec
from agentforge.scan.python.syntax import new_parser


class PythonExtractor:
    language = Language.PYTHON
    suffixes = (".py",)

    def is_test_file(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"

    def extract(self, files: Sequence[SourceFile]) -> Extraction:
        out = Extraction()
        parser = new_parser()
        parsed = [ParsedFile(f.rel, f.source, parser.parse(f.source)) for f in files]
        for file in parsed:
            out.warnings += _file_warnings(file)
        index = RepoIndex(parsed)
        found: dict[str, tuple[Site, ModuleSpec]] = {}
        for file in parsed:
            _judge(file, index, found, out.warnings)
        link_calls(list(found.values()), index)
        out.modules = [spec for _, spec in found.values()]
        out.warnings = list({(w.path, w.message): w for w in out.warnings}.values())
        return out


def _judge(
    file: ParsedFile, index: RepoIndex, found: dict[str, tuple[Site, ModuleSpec]], warnings: list[ScanWarning]
) -> None:
    def warn(message: str) -> None:
        warnings.append(ScanWarning(path=file.rel, message=message))

    for site in sites(file.rel, file.tree.root_node, index):
        detection = detect(site, index) if not site.node.has_error else None
        if detection is None:
            continue
        spec = build_spec(site, detection, index, file.source, warn)
        if spec.id in found:
            warn(f"{spec.id} is defined twice; the later definition wins")
        found[spec.id] = (site, spec)


def _file_warnings(file: ParsedFile) -> list[ScanWarning]:
    warnings = []
    try:
        file.source.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = file.source.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (line {line}); undecodable bytes are read as U+FFFD"
        warnings.append(ScanWarning(path=file.rel, message=message))
    root = file.tree.root_node
    if root.has_error:
        line = first_error_line(root)
        message = f"syntax error near line {line}; definitions in the broken region are skipped"
        warnings.append(ScanWarning(path=file.rel, message=message))
    return warnings
