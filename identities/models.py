from django.conf import settings
from django.db import models


class Identity(models.Model):
    """An account at an identity provider that signs in one user of ours.

    ``(provider, subject)`` is unique in the database: of two first sign-ins of the same
    provider account at once, one insert wins and the other reads its user, so one provider
    account can never own two users (nor be merged silently into another).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities")
    provider = models.CharField(max_length=64, help_text="The id of a configured provider (AUTH_PROVIDERS).")
    subject = models.CharField(max_length=255, help_text="The provider's stable id of the account (sub).")
    email = models.EmailField(blank=True, help_text="As the provider said at the last sign-in; informative only.")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identities_provider_subject_unique"),
            models.UniqueConstraint(fields=["user", "provider"], name="identities_one_per_provider_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject} of {self.user_id}"


class SpentIdToken(models.Model):
    """An id token a client posted and signed in (or linked) with, spent: its ``key`` is a
    digest of the issuer, the subject and the token's nonce (else its ``jti``, else its claims).

    The key is the primary key: of two posts of one token, on any server processes, at once,
    one insert wins and the other is refused. Kept until the token expires (with the clock
    leeway), when the token is refused anyway; then forgotten (``identities.forget_spent_tokens``).
    """

    key = models.CharField(max_length=64, primary_key=True, help_text="SHA-256, hex.")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}… until {self.expires_at:%Y-%m-%d %H:%M}"
