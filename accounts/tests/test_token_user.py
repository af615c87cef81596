"""The user behind a token is loaded by one hand-written statement (``accounts.selectors``) as
the ORM would load it, and still by SimpleJWT's rules: a deleted or deactivated user's token
opens nothing. These run on the database the suite is given (PostgreSQL, or SQLite without
``DATABASE_URL``): the types a cursor returns differ between the two."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.selectors import user_by_token_get

pytestmark = pytest.mark.django_db


def field_values(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def field_types(user: User) -> dict:
    return {name: type(value) for name, value in field_values(user).items()}


def test_the_loaded_user_is_the_row_the_orm_loads_field_for_field(make_user):
    user = make_user("rowcheck", premium=True, display_name="Row Check")
    User.objects.filter(pk=user.pk).update(last_login=datetime(2026, 11, 1, 12, 30, tzinfo=UTC))

    loaded = user_by_token_get(user_id=user.pk)

    assert field_values(loaded) == field_values(User.objects.get(pk=user.pk))
    assert loaded.last_login == datetime(2026, 11, 1, 12, 30, tzinfo=UTC)  # a datetime, also on SQLite
    assert not loaded._state.adding and loaded._state.db == "default"


def test_every_field_has_the_value_and_the_type_the_orm_gives(make_user):
    user = make_user("typecheck", premium=True, display_name="Type Check")
    User.objects.filter(pk=user.pk).update(
        last_login=datetime(2026, 11, 1, 12, 30, 15, 250000, tzinfo=UTC),
        first_name="Ty",
        is_staff=True,
        is_guest=True,
    )
    orm = User.objects.get(pk=user.pk)

    loaded = user_by_token_get(user_id=user.pk)

    assert field_values(loaded) == field_values(orm)
    assert field_types(loaded) == field_types(orm)  # bool not int, datetime not text, on either database
    assert loaded.last_login.utcoffset() == orm.last_login.utcoffset() == timedelta(0)
    assert loaded.date_joined.utcoffset() == timedelta(0)


def test_a_user_never_logged_in_has_no_last_login(make_user):
    user = make_user("neverin")
    User.objects.filter(pk=user.pk).update(last_login=None)
    assert user_by_token_get(user_id=user.pk).last_login is None


def test_a_token_claim_given_as_text_finds_the_same_user(make_user):
    user = make_user("textclaim")
    assert user_by_token_get(user_id=str(user.pk)).pk == user.pk


@pytest.mark.parametrize("claim", [None, "", "not-a-number", 10**12, 10**24, -(10**24)])
def test_no_user_for_a_missing_or_malformed_claim(claim):
    assert user_by_token_get(user_id=claim) is None


def test_a_request_loads_its_user_with_one_statement(client_for, make_user):
    user = make_user("onequery")
    client = client_for(user)
    client.get("/api/me/")  # anything done once per process is done by now
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/me/")
    assert response.status_code == 200 and response.json()["username"] == "onequery"
    user_reads = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(user_reads) == 1 and "LIMIT" not in user_reads[0]


def test_a_deactivated_users_token_is_refused(client_for, make_user):
    user = make_user("gone-quiet")
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_deleted_users_token_is_refused(client_for, make_user):
    user = make_user("deleted")
    client = client_for(user)
    User.objects.filter(pk=user.pk).delete()
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_public_profile_with_an_id_beyond_any_key_is_a_404(client_for, make_user):
    client = client_for(make_user("looker"))
    response = client.get(f"/api/users/{10**24}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_deactivated_users_public_profile_is_a_404(client_for, make_user):
    hidden = make_user("hidden")
    User.objects.filter(pk=hidden.pk).update(is_active=False)
    assert client_for(make_user("looker2")).get(f"/api/users/{hidden.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda users: users.update(is_active=False), "User is inactive"),
        (lambda users: users.delete(), "User not found"),
    ],
    ids=["deactivated", "deleted"],
)
def test_a_refused_users_token_gets_simplejwts_own_answer(client_for, make_user, change, detail):
    user = make_user("refused-" + detail.split()[-1])
    client = client_for(user)
    change(User.objects.filter(pk=user.pk))
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert detail in str(response.json()), response.json()
