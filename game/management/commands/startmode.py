"""``python manage.py startmode NAME``: a new game mode's package, outside the platform's apps.

It writes ``NAME/`` (in the current directory, or in ``--directory``) from the templates in
``game/mode_template/`` (files ending ``-tpl``, rendered with Django's template engine): an
example turn-based mode on the public mode API (``gameplatform.modes``), its tests on the test
kit (``unittest``: the standard library's), and a README that says how to run the tests where only
the mode API is installed (``gameplatform-modes``, ``client/modes``) and register the mode with
``GAME_MODES``.
"""

import importlib.util
import keyword
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template import Context, Engine

from game import registry

TEMPLATES = Path(__file__).resolve().parents[2] / "mode_template"
SUFFIX = "-tpl"
NOTES = {
    "mode.py": "the mode: the rules of an example game, to make yours",
    "tests/test_mode.py": "its tests (unittest), on gameplatform.modes.testing.ModeTester",
    "README.md": "how to run the tests and register the mode",
}


def mode_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a mode and its package, or None."""
    if not registry.NAME.match(name):
        return "a mode's name is 1 to 32 lowercase letters, digits or _, starting with a letter"
    if keyword.iskeyword(name):
        return "it is a Python keyword"
    if importlib.util.find_spec(name) is not None:
        return f"a module named {name!r} is already importable here; the package would shadow it or be shadowed"
    if name in registry.mode_names():
        return f"GAME_MODES already has a mode named {name!r}"
    return None


class Command(BaseCommand):
    help = "Create a game mode package (a Mode class, its tests, a README) outside the platform's apps."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "name", help="the mode's name and its package's: lowercase letters, digits and _, starting with a letter"
        )
        parser.add_argument("--directory", help="where to create NAME/ (default: the current directory)")

    def handle(self, *args, name: str, directory: str | None, **options) -> None:
        problem = mode_name_problem(name)
        if problem:
            raise CommandError(f"{name!r} cannot name a mode: {problem}.")
        parent = Path(directory or ".").resolve()
        target = parent / name
        if target.exists() and not (target.is_dir() and not any(target.iterdir())):
            raise CommandError(f"{target} already exists and is not an empty directory; choose another name or place.")

        class_name = "".join(part.capitalize() for part in name.split("_"))
        context = Context(
            {
                "name": name,
                "class_name": class_name,
                "title": name.replace("_", " ").capitalize(),
                "game_modes": ",".join([*settings.GAME_MODES, f"{name}.mode.{class_name}"]),
            },
            autoescape=False,
        )
        engine = Engine()
        created = []
        for source in sorted(TEMPLATES.rglob(f"*{SUFFIX}")):
            relative = source.relative_to(TEMPLATES).as_posix().removesuffix(SUFFIX)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(engine.from_string(source.read_text()).render(context))
            created.append(relative)

        self.stdout.write(f'Created the mode "{name}" (class {class_name}) in {target}/:')
        width = max(len(f"{name}/{path}") for path in created) + 2
        for path in created:
            self.stdout.write(f"  {f'{name}/{path}':<{width}}{NOTES.get(path, '')}".rstrip())

        platform = Path(settings.BASE_DIR).resolve()
        self.stdout.write("\nNext steps:")
        self.stdout.write("  1. Run its tests (no server or database needed), with the platform's Python:")
        discover = f"-m unittest discover -s {name} -t ."
        self.stdout.write(f"       cd {parent} && PYTHONPATH={platform} {sys.executable} {discover}")
        self.stdout.write(
            "     or in the mode's own environment, with the mode API alone (gameplatform-modes) installed:"
        )
        self.stdout.write(f"       pip install {platform / 'client' / 'modes'}")
        self.stdout.write(f"       cd {parent} && python {discover}")
        self.stdout.write("  2. Register it: start the server with the package's directory on PYTHONPATH and the mode")
        self.stdout.write("     in GAME_MODES; GET /api/game/modes/ then lists it:")
        self.stdout.write(f"       PYTHONPATH={parent} GAME_MODES={context['game_modes']} make run")
        self.stdout.write(f"  3. Make the game yours: edit {name}/mode.py and its tests, then run them again.")
