"""The SDK's private modules: the facade (`_client`) imports the parts, never the reverse."""

import ast
from pathlib import Path

import userlink_sdk

PACKAGE = Path(userlink_sdk.__file__).parent


def imported_siblings(path):
    tree = ast.parse(path.read_text())
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
    }


def test_no_part_imports_the_facade():
    parts = [p for p in PACKAGE.glob("_*.py") if p.name not in ("__init__.py", "_client.py")]

    assert [p.name for p in parts if "_client" in imported_siblings(p)] == []
