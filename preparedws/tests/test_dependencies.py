"""The package stands alone: it imports websockets and the standard library only (uvicorn loads it),
its tests uvicorn and pytest besides, and nothing of the project around it (no Django, no kit), so
any ASGI application can run under it and the package can leave the repository as it is.

Imports are read from the source (AST, imports inside functions included), as the project's
layering tests read them.
"""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
ALLOWED = {"preparedws", "websockets", "uvicorn", "__future__", *sys.stdlib_module_names}


def imported_top_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def foreign_imports(paths, allowed: set[str]) -> dict[str, set[str]]:
    found = {str(path.relative_to(PACKAGE)): imported_top_packages(path) - allowed for path in paths}
    return {name: imports for name, imports in found.items() if imports}


def test_the_package_imports_only_websockets_and_the_standard_library():
    code = [path for path in sorted(PACKAGE.rglob("*.py")) if "tests" not in path.relative_to(PACKAGE).parts]
    assert len(code) >= 7
    assert foreign_imports(code, ALLOWED - {"uvicorn"}) == {}


def test_its_tests_import_only_uvicorn_websockets_pytest_and_the_standard_library():
    tests = sorted((PACKAGE / "tests").rglob("*.py"))
    assert foreign_imports(tests, ALLOWED | {"pytest"}) == {}


def test_the_import_reader_names_a_foreign_import(tmp_path):
    module = tmp_path / "leaky.py"
    module.write_text("import os\nfrom django.conf import settings\n\ndef f():\n    import gameplatform.core\n")
    assert imported_top_packages(module) - ALLOWED == {"django", "gameplatform"}
