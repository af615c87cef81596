"""Dependencies point one way: the kit imports no app, and the game no app above it.

Every import is read from the source (AST, imports inside functions included).
The remaining cycle between chat, friends, matchmaking and notifications is
issue #10's; the edges already cut are kept cut here.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# package -> the project packages it must never import
FORBIDDEN = {
    "gameplatform": set(settings.PROJECT_APPS),
    "game": {"chat", "friends", "matchmaking", "notifications", "progression"},
}


def imported_top_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def edges_breaking_the_layers() -> list[str]:
    broken = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for target in sorted(imported_top_packages(path) & forbidden):
                broken.append(f"{path.relative_to(ROOT)} imports {target}")
    return broken


def test_the_kit_imports_no_app_and_the_game_no_app_above_it():
    assert edges_breaking_the_layers() == []
