"""The mode API as a package of its own (``gameplatform-modes``, ``client/modes``), tried as a new
studio would: a wheel built from the platform's source, installed into a fresh virtualenv, and a
mode made by ``manage.py startmode`` whose tests pass there with nothing of the server around."""

import importlib.util
import io
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

import gameplatform
from conftest import requires_binaries

ROOT = Path(settings.BASE_DIR)
PACKAGE = ROOT / "client" / "modes"

# The venv's setuptools (Python 3.11's) builds a wheel with the `wheel` package, which the lock
# installs (requirements/dev.txt).
NO_WHEEL = None if importlib.util.find_spec("wheel") else "no `wheel` package in the venv to build with (make venv)"

pytestmark = [requires_binaries(NO_WHEEL), pytest.mark.timeout(120)]


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=90, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def build_wheel(out: Path) -> Path:
    """The package's wheel, built by its own pyproject.toml; everything it writes goes to ``out``."""
    out.mkdir(exist_ok=True)
    run(
        *[sys.executable, "-W", "ignore", "-c", "from setuptools import setup; setup()", "-q"],
        *["egg_info", "--egg-base", out, "build", "--build-base", out / "build", "bdist_wheel", "--dist-dir", out],
        cwd=PACKAGE,
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def test_the_wheel_holds_the_mode_api_as_a_namespace_portion_at_the_servers_version(tmp_path):
    wheel = build_wheel(tmp_path)

    names = zipfile.ZipFile(wheel).namelist()
    code = {name for name in names if not name.startswith("gameplatform_modes-")}
    assert code == {f"gameplatform/modes/{path.name}" for path in (ROOT / "gameplatform" / "modes").glob("*.py")}
    assert "gameplatform/__init__.py" not in names  # gameplatform stays the server's own package
    assert tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]["version"] == gameplatform.__version__
    assert wheel.name == f"gameplatform_modes-{gameplatform.__version__}-py3-none-any.whl"


def test_a_new_modes_tests_pass_in_a_fresh_venv_with_only_the_package_installed(tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index", "--no-deps", wheel)
    studio = tmp_path / "studio"  # the studio's repository, outside the platform's tree
    studio.mkdir()
    call_command("startmode", "first_to_ten", directory=str(studio), stdout=io.StringIO())
    # -I: no PYTHONPATH, no user site-packages, not the current directory; no variable of ours either.
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}

    tests = run(python, "-I", "-m", "unittest", "discover", "-s", "first_to_ten", "-t", ".", cwd=studio, env=clean)
    where = run(
        *[python, "-I", "-c"],
        "import importlib.util, gameplatform, gameplatform.modes.testing;"
        "print(gameplatform.__file__, importlib.util.find_spec('django'));"
        "print(gameplatform.modes.__file__)",
        cwd=studio,
        env=clean,
    )

    assert "Ran 4 tests" in tests.stderr and tests.stderr.rstrip().endswith("OK"), tests.stderr
    no_file_no_django, modes_file = where.stdout.splitlines()
    assert no_file_no_django == "None None"  # a namespace package, and nothing of the server's
    assert Path(modes_file).is_relative_to(venv) and not Path(modes_file).is_relative_to(ROOT)
