from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentforge.artifacts import ModuleSpec, ScanResult
from agentforge.scan import scan_repo

FIXTURES = Path(__file__).parent / "fixtures"

# The fixture repositories are data: pytest must never collect (import) them.
collect_ignore = ["fixtures"]

STUB = 'def stub() -> str:\n    return "stub"\n'


@pytest.fixture(scope="session")
def shop() -> ScanResult:
    return scan_repo(FIXTURES / "shop")


@pytest.fixture(scope="session")
def shop_candidates() -> ScanResult:
    return scan_repo(FIXTURES / "shop", explain=True)


@pytest.fixture(scope="session")
def shop_modules(shop: ScanResult) -> dict[str, ModuleSpec]:
    return {m.id: m for m in shop.modules}


@pytest.fixture
def messy_repo(tmp_path: Path) -> Path:
    """The shop fixture plus what a real upload also holds, written here because git would not keep it:
    vendored and ignored folders, tests, broken files and a link out of the repository."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "shop", root)
    files = {
        ".gitignore": "# generated\nignored_dir/\n*.gen.py\n/anchored.py\n",
        "ignored_dir/mod.py": STUB,
        "client.gen.py": STUB,
        "anchored.py": STUB,
        "pkg/anchored.py": STUB,
        "node_modules/lib/index.py": STUB,
        "build/lib.py": STUB,
        "dist/lib.py": STUB,
        "venv/lib.py": STUB,
        ".venv/lib.py": STUB,
        ".hidden/lib.py": STUB,
        "site-packages/lib.py": STUB,
        "__pycache__/lib.py": STUB,
        "tests/helpers.py": STUB,
        "shop/test_assistant.py": STUB,
        "shop/assistant_test.py": STUB,
        "conftest.py": STUB,
        "notes.txt": "return 'not python'\n",
        "broken.py": STUB
        + "\ndef broken(:\n    return 1\n\n\ndef after(text: str) -> str:\n    return 'a canned reply'\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "latin.py").write_bytes(
        b'def latin(text: str) -> str:\n    return "un caf\xe9 pour vous"\n\n\n' + STUB.encode()
    )
    (root / "big.py").write_text(STUB + "#" * 5_000 + "\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(STUB)
    (root / "leak.py").symlink_to(outside / "secret.py")
    (root / "leak_dir").symlink_to(outside, target_is_directory=True)
    (root / "alias.py").symlink_to(root / "shop" / "markers.py")
    return root
