"""Auth abuse: the login lock follows the account, registration is throttled per address,
look-alike usernames are refused, the admin login is throttled."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from accounts.models import User
from gameplatform.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
ADMIN_LOGIN = "/admin/login/"


def register(api_client, username, email=None, **extra):
    password = "s3cret-Passphrase"
    body = {
        "username": username,
        "email": email or f"r{abs(hash(username))}@example.com",
        "password": password,
        "password_confirm": password,
    }
    return api_client.post(REGISTER, body, format="json", **extra)


def login(api_client, username, password="pass-w0rd-long"):
    return api_client.post(LOGIN, {"username": username, "password": password}, format="json")


# --- 1. the per-account lock keys on the account, whatever was typed -----------------


@pytest.mark.parametrize("then", ["user_3@example.com", "USER_3", "ｕｓｅｒ_3"])
def test_failures_as_username_lock_the_email_and_other_spellings(api_client, make_user, then):
    make_user("user_3")
    for n in range(5):
        # Each failure from another address, so only the account's window fills.
        response = api_client.post(
            LOGIN, {"username": "user_3", "password": "bad"}, format="json", REMOTE_ADDR=f"10.0.0.{n}"
        )
        assert response.status_code == 401
    refused = api_client.post(
        LOGIN, {"username": then, "password": "pass-w0rd-long"}, format="json", REMOTE_ADDR="10.0.1.1"
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and refused.json()["retry_after"] > 0


def test_failures_by_email_lock_the_username(api_client, make_user):
    make_user("user_4")
    for n in range(5):
        api_client.post(
            LOGIN, {"username": "USER_4@Example.com", "password": "bad"}, format="json", REMOTE_ADDR=f"10.0.0.{n}"
        )
    assert login(api_client, "user_4").status_code == 429


def test_unknown_names_are_limited_like_known_ones(api_client):
    for n in range(5):
        api_client.post(LOGIN, {"username": "nobody_x", "password": "bad"}, format="json", REMOTE_ADDR=f"10.0.0.{n}")
    again = api_client.post(LOGIN, {"username": "NOBODY_X", "password": "bad"}, format="json", REMOTE_ADDR="10.9.9.9")
    assert again.status_code == 429


def test_a_successful_login_clears_the_account_window(api_client, make_user):
    make_user("user_5")
    for n in range(4):
        api_client.post(LOGIN, {"username": "user_5", "password": "bad"}, format="json", REMOTE_ADDR=f"10.0.0.{n}")
    assert (
        api_client.post(
            LOGIN,
            {"username": "user_5@example.com", "password": "pass-w0rd-long"},
            format="json",
            REMOTE_ADDR="10.1.0.1",
        ).status_code
        == 200
    )
    for n in range(4):
        api_client.post(LOGIN, {"username": "USER_5", "password": "bad"}, format="json", REMOTE_ADDR=f"10.2.0.{n}")
    assert login(api_client, "user_5").status_code == 200


def test_concurrent_guesses_get_no_more_tries_than_the_limit(monkeypatch):
    """Guesses sent at once, each from its own address, while the password check is slow:
    the account's window is taken before the check, so at most LOGIN_FAILURE_LIMIT of
    them reach it and the rest are 429."""
    from accounts import services

    guesses = 12
    started = threading.Barrier(guesses, timeout=10)
    checked = []

    def slow_authenticate(**credentials):
        checked.append(credentials["password"])
        time.sleep(0.3)  # a password hash: the others arrive meanwhile
        return None

    monkeypatch.setattr(services, "login_account", lambda identifier: None)
    monkeypatch.setattr(services, "authenticate", slow_authenticate)

    def guess(n):
        started.wait()
        try:
            services.user_login(identifier="victim_1", password=f"guess{n}", address=f"10.8.0.{n}")
        except ApplicationError as exc:
            return exc.code
        return "ok"

    with ThreadPoolExecutor(guesses) as pool:
        codes = list(pool.map(guess, range(guesses)))
    assert len(checked) == 5
    assert sorted(codes) == ["invalid_credentials"] * 5 + ["rate_limited"] * (guesses - 5)


# --- 3. registration per address -------------------------------------------------------


@override_settings(REGISTRATIONS_PER_ADDRESS=3)
def test_registration_is_throttled_per_address(api_client):
    for n in range(3):
        assert register(api_client, f"reg_{n}", REMOTE_ADDR="10.3.0.1").status_code == 201
    refused = register(api_client, "reg_9", REMOTE_ADDR="10.3.0.1")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and body["retry_after"] > 0 and body["detail"]
    assert int(refused["Retry-After"]) >= 1
    assert not User.objects.filter(username="reg_9").exists()
    # Another address still registers.
    assert register(api_client, "reg_9", REMOTE_ADDR="10.3.0.2").status_code == 201


def test_registration_default_is_ten_per_hour(api_client):
    for n in range(10):
        assert register(api_client, f"ten_{n}", REMOTE_ADDR="10.4.0.1").status_code == 201
    assert register(api_client, "ten_10", REMOTE_ADDR="10.4.0.1").status_code == 429


# --- 4. look-alike usernames -----------------------------------------------------------


@pytest.mark.parametrize("name", ["USER_1", "ＵＳＥＲ_1", "User_1", "ｕｓｅｒ_１"])
def test_look_alikes_of_a_taken_name_are_refused(api_client, make_user, name):
    make_user("user_1")
    response = register(api_client, name)
    assert response.status_code == 400
    assert response.json()["username"] == ["A user with that username already exists."]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    ["uѕer_1", "аdmin", "ΑDMIN", "user 1", "user@1", "user+1", "名前", "user\u200b1", "é"],
)
def test_names_outside_the_safe_set_are_refused(api_client, name):
    response = register(api_client, name)
    assert response.status_code == 400
    assert "username" in response.json()
    assert not User.objects.exists()


def test_fullwidth_name_is_stored_in_its_nfkc_form(api_client):
    response = register(api_client, "Ｐｌａｙｅｒ_7")
    assert response.status_code == 201
    assert response.json()["user"]["username"] == "Player_7"
    assert User.objects.get().username_key == "player_7"


def test_login_by_any_case_or_width_of_the_username(api_client, make_user):
    make_user("user_1")
    for typed in ("User_1", "USER_1", "ｕｓｅｒ_1"):
        assert login(api_client, typed).status_code == 200, typed


def test_the_database_refuses_a_second_key(make_user):
    make_user("user_1")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="USER_1", email="other@example.com", password="x")


def test_saving_with_update_fields_keeps_the_key(make_user):
    user = make_user("Mixed_Case")
    user.username = "Renamed"
    user.save(update_fields=["username"])
    assert User.objects.get(pk=user.pk).username_key == "renamed"


@pytest.mark.django_db(transaction=True)
def test_the_key_migration_keeps_older_look_alikes_without_failing():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0002_user_username_key")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_user = executor.loader.project_state(before).apps.get_model("accounts", "User")
    for n, name in enumerate(("user_1", "USER_1", "ＵＳＥＲ_1", "other")):
        old_user.objects.create(username=name, email=f"old{n}@example.com", password="!")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    keys = dict(User.objects.values_list("username", "username_key"))
    first, second, third = User.objects.filter(username__in=["user_1", "USER_1", "ＵＳＥＲ_1"]).order_by("pk")
    assert keys["user_1"] == "user_1" and keys["other"] == "other"
    assert keys["USER_1"] == f"user_1#{second.pk}" and keys["ＵＳＥＲ_1"] == f"user_1#{third.pk}"
    # Each still logs in by its exact name; saving keeps the suffixed key.
    assert User.objects.get_by_natural_key("USER_1") == second
    second.save()
    assert User.objects.get(pk=second.pk).username_key == f"user_1#{second.pk}"


# --- 2. /admin/login/ ------------------------------------------------------------------


@pytest.fixture
def staff(make_user):
    return make_user("boss", is_staff=True, is_superuser=True)


def admin_login(client, username, password, address="10.5.0.1"):
    return client.post(
        ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_admin_login_is_throttled_per_address(client, staff):
    for n in range(8):
        response = admin_login(client, f"guess{n}", "wrong")
        assert response.status_code in (200, 429)
    refused = admin_login(client, "boss", "pass-w0rd-long")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and refused.json()["retry_after"] > 0
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session
    # Another address is not locked out.
    assert admin_login(client, "boss", "pass-w0rd-long", address="10.5.0.2").status_code == 302


def test_admin_login_shares_the_account_lock(client, api_client, staff):
    for n in range(5):
        admin_login(client, "BOSS", "wrong", address=f"10.6.0.{n}")
    assert admin_login(client, "boss", "pass-w0rd-long", address="10.6.1.1").status_code == 429
    assert login(api_client, "boss@example.com").status_code == 429


def test_admin_login_still_works_and_clears_the_window(client, staff):
    for n in range(4):
        assert admin_login(client, "boss", "wrong", address=f"10.7.0.{n}").status_code == 200
    assert admin_login(client, "Boss", "pass-w0rd-long", address="10.7.1.1").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_admin_refuses_renaming_to_a_look_alike(client, staff, make_user):
    make_user("user_1")
    other = make_user("other_1")
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{other.pk}/change/")
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("groups", "user_permissions")
    }
    data.update({"username": "USER_1", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/accounts/user/{other.pk}/change/", data)
    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.get(pk=other.pk).username == "other_1"


@pytest.mark.parametrize("name", ["bo\x00ss", "bo\x00ss@example.com"])
def test_admin_login_with_a_nul_in_the_name_is_refused_not_500(client, staff, name):
    response = admin_login(client, name, "pass-w0rd-long")
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
