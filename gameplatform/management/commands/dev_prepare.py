"""What ``make dev`` runs before its server: migrate and seed only when needed, and name the
directories the reloading server watches.

A restart of ``make dev`` after an edit should cost the server's start and nothing else: ``migrate``
runs only when a migration is unapplied (``migrate --check`` says so), ``seed_demo`` only when the
demo data is missing (``seed_demo --unless-seeded``). Its progress goes to stderr; stdout is the
``--reload-dir`` arguments for uvicorn, shell-quoted: the project's own packages and the package of
every mode ``GAME_MODES`` lists from outside the project (a studio's), so an edit of either reloads.
"""

import shlex
import sys
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def unapplied_migrations() -> bool:
    try:
        call_command("migrate", check_unapplied=True, verbosity=0)
    except SystemExit as exit_:  # migrate --check exits 1 when a migration is unapplied
        return exit_.code != 0
    return False


def package_dir(module: str) -> Path | None:
    """The directory of ``module``'s top-level package (or of the module itself when it is a
    single file), found without importing it."""
    spec = find_spec(module.split(".")[0])
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return Path(spec.origin).resolve().parent if spec.origin else None


def reload_dirs() -> list[Path]:
    """The project's packages (the kit, its WebSocket protocol and every project app), then each
    listed mode's package that lies outside them, in the setting's order, once each."""
    base = Path(settings.BASE_DIR).resolve()
    dirs = [base / "gameplatform", base / "preparedws", *(base / app for app in settings.PROJECT_APPS)]
    for path in settings.GAME_MODES:
        found = package_dir(path.rpartition(".")[0])
        if found is not None and not any(found == d or d in found.parents for d in dirs):
            dirs.append(found)
    return dirs


class Command(BaseCommand):
    help = (
        "make dev's preparation: migrate if a migration is unapplied, seed the demo data if it is missing; "
        "print uvicorn's --reload-dir arguments (the project's packages and the modes' packages)."
    )

    def handle(self, *args, **options):
        say = sys.stderr
        if unapplied_migrations():
            say.write("==> migrating the database\n")
            call_command("migrate", interactive=False, verbosity=0)
        else:
            say.write("==> the database is up to date (no migration to apply)\n")
        call_command("seed_demo", unless_seeded=True, stdout=say)
        self.stdout.write(" ".join(f"--reload-dir {shlex.quote(str(d))}" for d in reload_dirs()))
