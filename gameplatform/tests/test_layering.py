"""Dependencies point one way: an app imports only apps below it, the kit imports none.

Every import of every module is read from the source (AST, imports inside functions
included). Tests and migrations are left out: a test may drive a higher app to see a
lower one's hook fire. ``LAYERS`` is the order docs/concepts.md lists, bottom to top.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

LAYERS = [
    "gameplatform",
    "accounts",
    "staff",
    "identities",
    "wordfilter",
    "storage",
    "notifications",
    "friends",
    "progression",
    "payments",
    "game",
    "leaderboards",
    "chat",
    "groups",
    "matchmaking",
    "world",
    "safety",
    "liveops",
    "webhooks",
    "webclient",
]


def imported_top_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def import_edges() -> dict[tuple[str, str], list[str]]:
    """``{(importer, imported): [modules that do it]}`` between project packages."""
    edges: dict[tuple[str, str], list[str]] = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for target in sorted(imported_top_packages(path) & set(LAYERS) - {package}):
                edges.setdefault((package, target), []).append(str(path.relative_to(ROOT)))
    return edges


def cycles(edges) -> list[list[str]]:
    """Every elementary cycle through the graph's nodes, each reported once (smallest node first)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                found.append([*path, start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_every_project_app_has_a_layer():
    assert set(settings.PROJECT_APPS) | {"gameplatform"} == set(LAYERS)


def test_no_import_cycle_between_apps():
    edges = import_edges()
    named = [" -> ".join(cycle) + f" (first edge in {edges[cycle[0], cycle[1]][0]})" for cycle in cycles(edges)]
    assert named == []


def test_no_app_imports_an_app_above_it_and_the_kit_imports_none():
    upward = [
        f"{modules[0]}: {source} imports {target}"
        for (source, target), modules in sorted(import_edges().items())
        if LAYERS.index(target) > LAYERS.index(source)
    ]
    assert upward == []


def test_the_cycle_finder_names_a_cycle():
    edges = {("chat", "friends"): ["chat/x.py"], ("friends", "chat"): ["friends/y.py"], ("game", "chat"): ["z"]}
    assert cycles(edges) == [["chat", "friends", "chat"]]
