import logging
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.models import User
from gameplatform.core.env import env_bool, env_int
from leaderboards import services as leaderboard_services
from leaderboards.models import Record


def _start(env_overrides: dict) -> subprocess.CompletedProcess:
    """Load the ASGI application as a server would, in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    code = "import gameplatform.asgi"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_missing_secret_key_without_debug_stops_server_startup():
    result = _start({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_server_starts_with_a_secret_key_or_with_debug():
    assert _start({"SECRET_KEY": "k" * 40}).returncode == 0
    assert _start({"DEBUG": "1"}).returncode == 0


def test_management_commands_run_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_env_helpers_refuse_values_they_do_not_understand(monkeypatch):
    monkeypatch.setenv("FLAG", "yes-ish")
    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG")
    monkeypatch.setenv("NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured):
        env_int("NUMBER", 1)


def test_a_negative_or_wordy_queue_fill_window_stops_server_startup():
    for value, said in (
        ("-1", "QUEUE_FILL_SECONDS must be at least 0"),
        ("soon", "QUEUE_FILL_SECONDS must be a number"),
    ):
        result = _start({"SECRET_KEY": "k" * 40, "QUEUE_FILL_SECONDS": value})
        assert result.returncode != 0 and said in result.stderr


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_clear_recreates():
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    demo = User.objects.filter(username__in=["premium_user_1", "premium_user_2", *[f"user_{n}" for n in range(1, 6)]])
    assert demo.count() == 7
    assert set(demo.filter(is_premium=True).values_list("username", flat=True)) == {"premium_user_1", "premium_user_2"}
    assert demo.get(username="user_3").check_password("testpass123")
    call_command("seed_demo", "--clear", stdout=open(os.devnull, "w"))
    assert demo.count() == 7


@pytest.mark.django_db
def test_seed_demo_on_an_empty_database_logs_no_warning_and_its_games_feed_their_boards(caplog):
    """``make run`` on a fresh database: the boards the modes feed are made before the demo games
    are played (before, the first game warned that ``tictactoe-wins`` did not exist)."""
    leaderboard_services._warn_missing_board.cache_clear()  # once per process: say it again here
    with caplog.at_level("WARNING"):
        call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING] == []
    wins = dict(Record.objects.filter(board_id="tictactoe-wins").values_list("user__username", "score"))
    assert wins == {"user_1": 1}  # the one demo game of tic-tac-toe that was won


@pytest.mark.django_db
def test_admin_lists_searches_and_filters_users(client, make_user, alice):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/accounts/user/?q=ali&is_premium__exact=0")
    assert page.status_code == 200
    assert b"alice" in page.content


@pytest.mark.django_db
def test_admin_action_toggles_premium(client, make_user, alice):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.post("/admin/accounts/user/", {"action": "grant_premium", "_selected_action": [alice.pk]})
    alice.refresh_from_db()
    assert alice.is_premium


@pytest.fixture
def listed_modes(settings):
    """``listed_modes(*paths)``: GAME_MODES as a studio may set it, for this test only."""
    from game import registry

    def listed(*paths: str) -> None:
        settings.GAME_MODES = list(paths)
        registry.modes.cache_clear()

    yield listed
    registry.modes.cache_clear()  # the settings fixture restores GAME_MODES after this


def _seen_by(username: str, path: str) -> list[dict]:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    answer = client.get(path)
    assert answer.status_code == 200, answer.content
    return answer.json()["results"]


@pytest.mark.django_db
def test_seed_demo_plays_demo_games_only_of_the_modes_listed(listed_modes):
    """``make run`` on a fresh database with GAME_MODES leaving out tic-tac-toe: the demo data is
    seeded (before, ``Unknown mode``), with demo games and the demo invite in listed modes only."""
    listed_modes("game.modes.builtin.relay.Relay", "game.modes.builtin.battleship.Battleship")
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    games = _seen_by("premium_user_2", "/api/games/") + _seen_by("user_1", "/api/games/")
    assert {game["mode"] for game in games} == {"relay"}
    assert [invite["mode"] for invite in _seen_by("user_1", "/api/invites/?box=inbox")] == ["relay"]


@pytest.mark.django_db
def test_seed_demo_with_no_demo_game_mode_listed_still_makes_the_users(listed_modes):
    listed_modes("game.modes.builtin.battleship.Battleship", "game.modes.builtin.arena.Arena")
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert User.objects.get(username="user_3").check_password("testpass123")
    assert _seen_by("user_1", "/api/games/") == []
    assert [invite["mode"] for invite in _seen_by("user_1", "/api/invites/?box=inbox")] == ["battleship"]
