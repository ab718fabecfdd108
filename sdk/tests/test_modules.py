"""The SDK's private modules: the facades (`_client`, `_async_client`) import the parts, never
the reverse, and the parts do no I/O of the network kind (they yield effects, `_effects`)."""

import ast
from pathlib import Path

import userlink_sdk

PACKAGE = Path(userlink_sdk.__file__).parent
FACADES = ("_client", "_async_client")


def imported_siblings(path):
    tree = ast.parse(path.read_text())
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
    }


def parts():
    return [p for p in PACKAGE.glob("_*.py") if p.stem not in ("__init__", *FACADES)]


def test_no_part_imports_a_facade():
    assert [p.name for p in parts() if imported_siblings(p) & set(FACADES)] == []


def test_the_facades_do_not_import_each_other():
    assert "_async_client" not in imported_siblings(PACKAGE / "_client.py")
    assert "_client" not in imported_siblings(PACKAGE / "_async_client.py")


def test_only_the_facades_hold_an_http_client():
    holders = [p.name for p in parts() if "Client(" in p.read_text()]

    assert holders == []
