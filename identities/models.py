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
