"""The Makefile as a new user meets it: ``make`` alone lists the targets, seed 003's ``make
install`` / ``make dev`` exist (``make dev`` running: test_make_dev.py), and ``make superuser``
creates an admin through the venv's Python, without a terminal when the DJANGO_SUPERUSER_*
variables say who."""

import os
import re
import shutil
import sqlite3
import subprocess

import pytest

from gameplatform.tests.live import ROOT

MAKE = shutil.which("make")
requires_make = pytest.mark.skipif(MAKE is None, reason="needs make")
# `-o .venv/.installed`: the venv is taken as up to date (a test never installs packages).
KEEP_VENV = ["-o", ".venv/.installed"]


def _make(*args: str, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=ROOT,
        env=env if env is not None else os.environ,
        stdin=subprocess.DEVNULL,  # no terminal, as in CI
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _phony_targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    return [name for line in re.findall(r"^\.PHONY:(.*)$", text, re.M) for name in line.split()]


@requires_make
def test_make_alone_lists_every_target_with_a_line_each_and_builds_nothing():
    alone, helped = _make(), _make("help")
    assert alone.returncode == helped.returncode == 0, alone.stderr
    assert alone.stdout == helped.stdout
    listed = dict(re.findall(r"^  (\S+) +(\S.*)$", helped.stdout, re.M))
    targets = _phony_targets()
    assert {"help", "run", "test", "venv", "install", "dev", "superuser"} <= set(targets)
    assert sorted(listed) == sorted(targets), "every .PHONY target has a `## what it does` line"
    # What `make` alone would run is the listing, nothing else (no venv built behind the user's back).
    assert "pip" not in _make("-n").stdout


@requires_make
def test_install_is_seed_003s_name_for_venv_and_dev_serves_with_reload_after_preparing_only_what_is_needed():
    install, dev = _make("-n", *KEEP_VENV, "install"), _make("-n", *KEEP_VENV, "dev")
    assert install.returncode == dev.returncode == 0, install.stderr + dev.stderr
    assert "manage.py dev_prepare" in dev.stdout and "manage.py migrate" not in dev.stdout
    assert "uvicorn" in dev.stdout and "--reload" in dev.stdout


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(extra)
    return env


@requires_make
def test_make_superuser_creates_an_admin_without_a_terminal_from_the_environment(tmp_path):
    database = tmp_path / "admin.sqlite3"
    env = _clean_env(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SUPERUSER_USERNAME="boss",
        DJANGO_SUPERUSER_PASSWORD="a-long-admin-passw0rd",
        DJANGO_SUPERUSER_EMAIL="boss@example.com",
    )
    made = _make(*KEEP_VENV, "superuser", env=env, timeout=180)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Superuser created successfully." in made.stdout
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT email, is_staff, is_superuser, password FROM accounts_user WHERE username = 'boss'")
        ((email, is_staff, is_superuser, password),) = rows.fetchall()
    assert (email, is_staff, is_superuser) == ("boss@example.com", 1, 1)
    assert password.startswith(("argon2", "pbkdf2", "bcrypt", "scrypt")), "a usable password was set"


@requires_make
def test_make_superuser_without_a_terminal_or_the_variables_says_what_to_set(tmp_path):
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    made = _make(*KEEP_VENV, "superuser", env=env, timeout=180)
    assert made.returncode != 0
    assert "DJANGO_SUPERUSER_USERNAME" in made.stderr and "DJANGO_SUPERUSER_PASSWORD" in made.stderr


@requires_make
@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_make_run_prints_every_address_the_front_pages_say_it_prints(page):
    text = " ".join((ROOT / page).read_text().split())
    said = text.split("prints where to go", 1)[1].split("Log in as", 1)[0]
    addresses = re.findall(r"http://127\.0\.0\.1:8000/[\w/.-]*", said)
    assert "http://127.0.0.1:8000/api/asyncapi/" in addresses
    run = _make("-n", *KEEP_VENV, "run")
    assert run.returncode == 0, run.stderr
    printed = "\n".join(line for line in run.stdout.splitlines() if line.lstrip().startswith("echo"))
    assert [a for a in addresses if a not in printed] == []
