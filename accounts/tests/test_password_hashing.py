"""Passwords hash with Argon2id at OWASP's minimum; older hashes are upgraded on login.

The test settings hash with MD5 for speed, so every test here puts the
production hashers back first.
"""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher, make_password

from accounts.models import User

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
PASSWORD = "s3cret-Passphrase"
PRODUCTION_HASHERS = ["accounts.hashers.Argon2idHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture(autouse=True)
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def argon2_parameters(encoded: str) -> tuple[str, str]:
    """``("argon2id", "m=7168,t=5,p=1")`` for ``argon2$argon2id$v=19$m=7168,t=5,p=1$salt$hash``."""
    algorithm, variety, version, parameters, _salt, _hash = encoded.split("$")
    assert (algorithm, version) == ("argon2", "v=19")
    return variety, parameters


def user_with_stored_hash(make_user, encoded: str) -> User:
    user = make_user("legacy")
    User.objects.filter(pk=user.pk).update(password=encoded)
    return user


def stored_hash(user: User) -> str:
    return User.objects.values_list("password", flat=True).get(pk=user.pk)


def log_in(api_client, password: str = PASSWORD):
    return api_client.post(LOGIN, {"username": "legacy", "password": password}, format="json")


def test_new_password_is_stored_as_argon2id_at_owasp_minimum(make_user):
    user = make_user("fresh", password=PASSWORD)
    assert argon2_parameters(stored_hash(user)) == ("argon2id", "m=7168,t=5,p=1")
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


class PreviousMinimumHasher(Argon2PasswordHasher):
    """The 19 MiB, t = 2 row of OWASP's minimum, this project's setting before the 7 MiB one."""

    time_cost, memory_cost, parallelism = 2, 19456, 1


@pytest.mark.parametrize(
    "old_hasher, old_prefix",
    [
        (Argon2PasswordHasher, "argon2$argon2id$v=19$m=102400,t=2,p=8$"),
        (PreviousMinimumHasher, "argon2$argon2id$v=19$m=19456,t=2,p=1$"),
        (PBKDF2PasswordHasher, "pbkdf2_sha256$"),
    ],
    ids=["stock-django-argon2", "owasp-19mib-row", "pbkdf2"],
)
def test_login_with_an_older_hash_succeeds_and_rehashes_at_owasp_minimum(api_client, make_user, old_hasher, old_prefix):
    old = make_password(PASSWORD, hasher=old_hasher())
    assert old.startswith(old_prefix)
    user = user_with_stored_hash(make_user, old)

    response = log_in(api_client)

    assert response.status_code == 200
    assert argon2_parameters(stored_hash(user)) == ("argon2id", "m=7168,t=5,p=1")
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_failed_login_leaves_an_old_hash_untouched(api_client, make_user):
    old = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    user = user_with_stored_hash(make_user, old)

    response = log_in(api_client, password="not-the-password")

    assert response.status_code == 401
    assert stored_hash(user) == old


def test_login_with_current_hash_does_not_rewrite_it(api_client, make_user):
    user = make_user("legacy", password=PASSWORD)
    current = stored_hash(user)

    assert log_in(api_client).status_code == 200
    assert stored_hash(user) == current
