"""The folder tree is the architecture: imports point down the layers only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"

# A layer and the imports it must never make (prefixes of dotted module names).
FORBIDDEN = {
    "engine": ("telegram", "bot.telegram", "bot.store", "bot.curation", "bot.cli", "bot.tools"),
    "knowledge": ("telegram", "bot.telegram", "bot.store", "bot.curation", "bot.engine"),
    "store": ("telegram", "bot.telegram", "bot.engine", "bot.curation", "bot.cli"),
    "curation": ("telegram", "bot.telegram", "bot.cli"),
    "telegram": ("bot.cli", "bot.tools"),
    "dashboard": ("telegram", "bot.telegram", "bot.cli", "bot.tools"),
}
# Text is folded one way everywhere: the knowledge may use the engine's normalisation (and
# nothing else of the engine).
ALLOWED = {"knowledge": ("bot.engine.textnorm",)}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _breaks(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    wrong = {
        f"{path.relative_to(BOT)} imports {module}"
        for path in (BOT / layer).rglob("*.py")
        for module in imports_of(path)
        if _breaks(module, FORBIDDEN[layer]) and not _breaks(module, ALLOWED.get(layer, ()))
    }
    assert not wrong, sorted(wrong)


def test_no_product_code_imports_the_tests() -> None:
    wrong = {
        f"{path.relative_to(BOT)} imports {module}"
        for path in BOT.rglob("*.py")
        for module in imports_of(path)
        if _breaks(module, ("tests",))
    }
    assert not wrong, sorted(wrong)


def test_every_module_says_what_it_owns() -> None:
    silent = [
        str(path.relative_to(BOT))
        for path in BOT.rglob("*.py")
        if path.name != "__main__.py" and not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert not silent
