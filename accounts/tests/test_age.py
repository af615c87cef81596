"""Age bands: a declared birth date (the band grows up with the player), a store's signal, and the
lock that stops a player declaring themselves older (docs/accounts-and-the-law.md)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts import policy
from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "pass-w0rd-long"


def born(years: int, days: int = 0) -> date:
    """The birth date of someone who turned ``years`` ``days`` ago (29 February: 28)."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:
        birthday = today.replace(year=today.year - years, day=28)
    return birthday - timedelta(days=days)


def put_age(client, **body):
    return client.put("/api/me/age/", {k: str(v) for k, v in body.items()}, format="json")


def test_a_new_account_s_band_is_unknown(client_for, alice):
    """GET /api/me/ shows age_band unknown and no source until the player or a store says."""
    me = client_for(alice).get("/api/me/").json()
    assert (me["age_band"], me["age_source"]) == ("unknown", "")


@pytest.mark.parametrize(
    ("years", "band"), [(8, "under_13"), (13, "13_15"), (15, "13_15"), (16, "16_17"), (17, "16_17"), (18, "adult")]
)
def test_a_declared_birth_date_gives_its_band(client_for, alice, years, band):
    answer = put_age(client_for(alice), birth_date=born(years))
    assert answer.status_code == 200
    assert answer.json() == {"age_band": band, "age_source": "declared"}
    assert client_for(alice).get("/api/me/").json()["age_band"] == band


def test_registration_with_a_birth_date_gives_the_band(api_client):
    answer = api_client.post(
        "/api/auth/register/",
        {
            "username": "kid",
            "email": "kid@example.com",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "birth_date": str(born(14)),
        },
        format="json",
    )
    assert answer.status_code == 201
    assert (answer.json()["user"]["age_band"], answer.json()["user"]["age_source"]) == ("13_15", "declared")


def test_a_registration_with_a_birth_date_to_come_is_refused_and_makes_no_account(api_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    body = {"username": "x", "email": "x@example.com", "password": PASSWORD, "password_confirm": PASSWORD}
    answer = api_client.post("/api/auth/register/", {**body, "birth_date": str(tomorrow)}, format="json")
    assert answer.status_code == 400 and "birth_date" in answer.json()
    assert not User.objects.filter(username="x").exists()


def test_declaring_an_older_age_again_is_refused_age_locked(client_for, alice):
    """A child who declared 12 cannot declare 30 a minute later: 409 age_locked, the band stays."""
    client = client_for(alice)
    put_age(client, birth_date=born(12))
    answer = put_age(client, birth_date=born(30))
    assert (answer.status_code, answer.json()["code"]) == (409, "age_locked")
    assert client.get("/api/me/").json()["age_band"] == "under_13"


def test_declaring_a_younger_age_is_taken(client_for, alice):
    client = client_for(alice)
    put_age(client, birth_date=born(20))
    assert put_age(client, birth_date=born(14)).json()["age_band"] == "13_15"


def test_a_store_s_signal_may_change_a_declared_band(client_for, alice):
    """Apple's Declared Age Range or Google Play's Age Signals outrank a declaration, either way."""
    client = client_for(alice)
    put_age(client, birth_date=born(12))
    answer = put_age(client, band="16_17", source="apple")
    assert answer.json() == {"age_band": "16_17", "age_source": "apple"}
    assert put_age(client, band="adult", source="google").json() == {"age_band": "adult", "age_source": "google"}
    alice.refresh_from_db()
    assert alice.birth_date is None  # the store's word replaced the declaration


def test_a_declaration_may_not_raise_a_store_s_band(client_for, alice):
    client = client_for(alice)
    put_age(client, band="13_15", source="google")
    assert put_age(client, birth_date=born(25)).json()["code"] == "age_locked"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"band": "adult"},
        {"source": "apple"},
        {"band": "adult", "source": "staff"},
        {"band": "teen", "source": "apple"},
        {"birth_date": "2010-02-30"},
        {"birth_date": "2010-01-01", "band": "adult", "source": "apple"},
    ],
)
def test_an_incomplete_or_wrong_age_is_refused_naming_the_field(client_for, alice, body):
    answer = client_for(alice).put("/api/me/age/", body, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) & {"birth_date", "band", "source"}


def test_a_declared_band_grows_up_with_the_player(alice):
    """Declared 17 a year ago is adult today: the band is computed from the birth date, and the
    database's query (user search, chat) agrees with it on the birthday itself."""
    alice.birth_date = born(18)  # 18 today
    alice.save(update_fields=["birth_date"])
    assert policy.band_of(alice) == "adult"
    assert not User.objects.filter(policy.minors_q(), pk=alice.pk).exists()
    alice.birth_date = born(18) + timedelta(days=1)  # 18 tomorrow
    alice.save(update_fields=["birth_date"])
    assert policy.band_of(alice) == "16_17"
    assert User.objects.filter(policy.minors_q(), pk=alice.pk).exists()


@pytest.mark.parametrize("band", ["under_13", "13_15", "16_17", "adult", "unknown"])
def test_the_band_query_matches_the_band_for_every_age(make_user, band):
    """``band_q`` (what the database selects) and ``band_of`` (what one account is) agree at every
    birthday edge from 10 to 19, and for stored bands."""
    users = [make_user(birth_date=born(years, days)) for years in range(10, 20) for days in (-1, 0, 1)]
    users.append(make_user(age_band=band))
    selected = set(User.objects.filter(policy.band_q({band})).values_list("pk", flat=True))
    assert selected == {user.pk for user in users if policy.band_of(user) == band}
