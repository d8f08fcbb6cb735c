"""claimx uses its dependencies through their public API only.

A private name (``_something``) of a dependency can change or vanish in any release without a
deprecation: code built on one breaks on an upgrade, or worse keeps running with another
behaviour. This walks every module of claimx and fails on a private name taken from a
third-party package: ``from pkg._mod import x``, ``from pkg import _x``, ``import pkg._mod``, or
``pkg._x`` / ``alias._x`` on a name bound to a third-party module.
"""

from __future__ import annotations

import ast
import sys
import warnings

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "claimx"


def _third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top not in sys.stdlib_module_names and top not in ("claimx", "__future__")


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def private_uses(source: str) -> list[str]:
    """Each private name of a third-party package the module's code uses, with its line."""
    tree = ast.parse(source)
    found: list[str] = []
    modules: set[str] = set()  # local names bound to third-party modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _third_party(alias.name):
                    continue
                if any(_private(part) for part in alias.name.split(".")):
                    found.append(f"{node.lineno}: import {alias.name}")
                modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not _third_party(node.module):
                continue
            if any(_private(part) for part in node.module.split(".")):
                found.append(f"{node.lineno}: from {node.module} import …")
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)  # (a submodule or a class: both are theirs)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_no_module_uses_a_private_name_of_a_dependency() -> None:
    offenders = {
        str(path.relative_to(ROOT)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if (uses := private_uses(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_walk_finds_each_kind_of_private_use() -> None:
    source = """
import instructor
import openai as oa
import httpx._client
from instructor.v2.core import patch
from instructor import _private_helper
from openai import AsyncOpenAI
import asyncio

instructor.core._reject(1)
oa._base_client
AsyncOpenAI._build_request
asyncio.tasks._enter_task  # the standard library's: not a dependency
instructor.__version__  # dunder: public
"""
    found = private_uses(source)
    assert [line.split(":")[0] for line in found] == ["4", "6", "10", "11", "12"], found
    assert private_uses("from pkg.v2._hidden import x") == ["1: from pkg.v2._hidden import …"]


def test_no_module_names_instructor_internals() -> None:
    # instructor.v2's modules were patched at import time once; no trace of them may come back.
    mentions = [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "instructor.v2" in path.read_text(encoding="utf-8")
    ]
    assert mentions == []


@pytest.mark.parametrize("module", ["instructor.core.patch", "claimx.models.structured"])
def test_a_deprecation_warning_from_instructor_or_claimx_fails_the_tests(module: str) -> None:
    # pyproject's filterwarnings: an upgrade's first deprecation is an error, not a line in a summary
    # (instructor's own, and those it attributes to its caller, claimx, with stacklevel=2).
    with pytest.raises(DeprecationWarning, match="renamed"):
        warnings.warn_explicit("'mode' was renamed", DeprecationWarning, "x.py", 1, module=module)
