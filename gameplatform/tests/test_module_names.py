"""No two modules of the kit share a file name.

A traceback, a log line's ``module`` field, a profile or a grep for ``steps.py`` names a module
by its file name alone; when two modules of the kit had it (the mode API's ``modes/steps.py`` and
the room host's ``rooms/steps.py``, two ``room.py``, two ``schema.py``...), the reader had to open
both to know which one ran. The mode API (``gameplatform.modes``) keeps its names, which studios
import; a module elsewhere is named for what it holds.

Packages' ``__init__.py``, migrations and tests are left out: their names are conventions, not
choices. So are the names Django looks up in each app it runs (``apps``, ``models``, ``admin``).
"""

from collections import defaultdict
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
CONVENTIONAL = {"__init__.py", "apps.py", "models.py", "admin.py"}


def test_no_two_modules_of_the_kit_share_a_file_name():
    paths = defaultdict(list)
    for path in sorted(KIT.rglob("*.py")):
        relative = path.relative_to(KIT)
        if path.name in CONVENTIONAL or {"tests", "migrations"} & set(relative.parts):
            continue
        paths[path.name].append(str(relative))
    assert {name: found for name, found in paths.items() if len(found) > 1} == {}
