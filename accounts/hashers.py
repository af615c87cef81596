"""Password hashing: Argon2id at OWASP's minimum parameters."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with m = 19 MiB (19456 KiB), t = 2, p = 1: OWASP's minimum.

    Django's stock parameters (m = 100 MiB, t = 2, p = 8) measured 140-240 ms
    per hash on a 2-core AMD EPYC host (4-7 logins per second per core) and hold
    100 MiB per hash in flight; these measured 21-28 ms (about 40 logins per
    second per core) and hold 19 MiB. Hashing runs on the database worker
    threads (``gameplatform.db``), so with ``DB_WORKERS`` = 10 hashes in flight
    take at most 190 MiB instead of 1 GiB. (OWASP Password Storage Cheat Sheet,
    Argon2id, first row.)

    The algorithm name stays ``"argon2"`` and the hash format is Django's, so
    every argon2 hash already stored verifies, whatever its parameters (they are
    read from the hash). ``must_update`` compares the stored parameters with
    these, so ``check_password`` rehashes a stock-parameter hash (and, with
    ``PBKDF2PasswordHasher`` listed after this one, a PBKDF2 hash) on the next
    successful login and saves it.

    List only this argon2 hasher in ``PASSWORD_HASHERS``: Django looks hashers
    up by algorithm name, and two with the same name would shadow each other.
    """

    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
