"""The kit's wings point one way too: a module of a wing imports only its own wing and the wings
below it, and no module of the kit or of the game app is part of an import circle.

The kit (``gameplatform/``) is in wings, bottom to top as ``WINGS`` lists them and
docs/concepts.md draws them; the modules left at its top (settings, the ASGI and URL entry points,
the app config, the test helpers, the management commands) may import any wing. Imports are read
from the source as in ``test_layering``: inside functions and under ``TYPE_CHECKING`` included, so
a type hint that points back up counts as the arrow it is.
"""

import ast
from pathlib import Path

from gameplatform.tests.test_layering import cycles

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "gameplatform"

WINGS = [
    "modes",
    "core",
    "broadcast",
    "data",
    "http",
    "backoffice",
    "sockets",
    "operations",
    "rooms",
    "chat",
    "reference",
]


def modules(*packages: str) -> dict[str, Path]:
    """``{dotted name: path}`` of every module of ``packages``, tests and migrations aside."""
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported(path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` imports (``from a import b`` counts as ``a.b`` when
    that is a module, else as ``a``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    return {name for name in found if name in known}


def wing_of(module: str) -> str | None:
    """The wing a kit module is in, or None for the kit's top and its package face."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in WINGS else None


def test_every_folder_of_the_kit_is_a_wing_and_no_module_is_left_flat_but_the_top():
    folders = {p.name for p in KIT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - {"tests", "management"} == set(WINGS)
    flat = {p.stem for p in KIT.glob("*.py")}
    assert flat == {"__init__", "apps", "asgi", "settings", "test_settings", "testhelpers", "urls"}


def test_no_wing_imports_a_wing_above_it_or_the_kits_top():
    kit = modules("gameplatform")
    upward = []
    for name, path in kit.items():
        wing = wing_of(name)
        if wing is None:
            continue
        for target in sorted(imported(path, set(kit)) - {"gameplatform"}):
            above = wing_of(target)
            if above is None:
                upward.append(f"{name} ({wing}) imports {target}, the kit's top")
            elif WINGS.index(above) > WINGS.index(wing):
                upward.append(f"{name} ({wing}) imports {target} ({above})")
    assert upward == []


def test_no_module_of_the_kit_or_the_game_app_is_in_an_import_circle():
    known = modules("gameplatform", "game")
    edges = {}
    for name, path in known.items():
        for target in imported(path, set(known)) - {name}:
            # A package's face imports its own modules; a module importing its package's face is
            # the one arrow that is not a circle of code.
            if not name.startswith(f"{target}."):
                edges[name, target] = [str(path.relative_to(ROOT))]
    assert [" -> ".join(cycle) for cycle in cycles(edges)] == []
