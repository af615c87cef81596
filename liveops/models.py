"""Live operations: flags (GrowthBook's feature format), what each player's client last said about
itself, the experiments each player was exposed to, and one version counter for the processes'
caches."""

from django.conf import settings
from django.core.validators import validate_slug
from django.db import models


class Flag(models.Model):
    """A GrowthBook feature: ``{defaultValue, rules}`` under a slug name (checked by
    ``liveops.validation`` before it is saved)."""

    name = models.SlugField(max_length=100, unique=True, validators=[validate_slug])
    description = models.TextField(blank=True)
    default_value = models.JSONField(null=True, blank=True)
    rules = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlayerAttributes(models.Model):
    """What a player's client last sent about itself; the server's own attributes are read live."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    country = models.CharField(max_length=64, blank=True)
    platform = models.CharField(max_length=64, blank=True)
    app_version = models.CharField(max_length=64, blank=True)
    custom = models.JSONField(default=dict, blank=True)  # at most CUSTOM_MAX_BYTES serialized (the API)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "player attribute set"  # the admin's list: "player attribute sets"

    def __str__(self) -> str:
        return f"attributes of user {self.user_id}"


class Exposure(models.Model):
    """The first time a player fell into an experiment, and the variation they got."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    variation = models.PositiveIntegerField()
    first_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="liveops_exposure_user_key")]
        indexes = [models.Index(fields=["key", "variation"], name="liveops_exposure_key_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.key}: {self.variation}"


class LiveopsVersion(models.Model):
    """One row: a counter raised in the transaction of every change players could see (flags now;
    live events and inbox messages later), which each server process reads at most once a second
    to know whether its cached flags are stale."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"live operations version {self.version}"


from liveops.analytics.models import AnalyticsDay, AnalyticsEvent, AnalyticsRollup  # noqa: E402, F401
from liveops.inbox.models import InboxEntry, Message  # noqa: E402, F401
from liveops.schedule.models import LiveEvent, LiveEventJoin  # noqa: E402,F401 (live events: their own sub-package)
