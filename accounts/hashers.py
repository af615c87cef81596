"""Password hashing: Argon2id at OWASP's minimum parameters."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with m = 7 MiB (7168 KiB), t = 5, p = 1: a row of OWASP's minimum.

    OWASP lists five Argon2id settings of equal strength that trade memory for passes
    (m = 46 MiB t = 1, 19 MiB t = 2, 12 MiB t = 3, 9 MiB t = 4, 7 MiB t = 5, all p = 1).
    Measured on the project's 2-core AMD EPYC host, one verification takes 67, 26, 22,
    20 and 19.5 ms respectively: the small-memory rows spend less time filling memory the
    cache cannot hold, and hold less in flight (7 MiB per hash, at most ``DB_WORKERS`` per
    process). Django's stock parameters (m = 100 MiB, t = 2, p = 8) measured 140-240 ms.

    The algorithm name stays ``"argon2"`` and the hash format is Django's, so every argon2
    hash already stored verifies, whatever its parameters (they are read from the hash).
    ``must_update`` compares the stored parameters with these, so ``check_password``
    rehashes any other argon2 hash (Django's stock one, or the 19 MiB t = 2 row this project
    used before) and, with ``PBKDF2PasswordHasher`` listed after this one, a PBKDF2 hash, on
    the next successful login, and saves it.

    List only this argon2 hasher in ``PASSWORD_HASHERS``: Django looks hashers up by
    algorithm name, and two with the same name would shadow each other.
    """

    time_cost = 5
    memory_cost = 7168  # KiB
    parallelism = 1
