from django.conf import settings
from django.db import models
from django.utils import timezone


class StorageObject(models.Model):
    """One JSON value a user keeps under ``(collection, key)`` (cloud saves, settings, progress).

    ``version`` starts at 1 and grows by one on every write; a write that names the version
    it read (``If-Match``) is a conditional UPDATE on it, so of two writers that read the
    same version exactly one wins.
    """

    READ_OWNER = "owner"
    READ_PUBLIC = "public"
    READ_CHOICES = [(READ_OWNER, "Owner only"), (READ_PUBLIC, "Anyone")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="storage_objects")
    collection = models.CharField(max_length=128)
    key = models.CharField(max_length=128)
    value = models.JSONField()
    read = models.CharField(max_length=8, choices=READ_CHOICES, default=READ_OWNER)
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "storage object"
        verbose_name_plural = "storage objects"
        constraints = [
            models.UniqueConstraint(fields=["user", "collection", "key"], name="storage_object_unique_key"),
            models.CheckConstraint(condition=models.Q(read__in=["owner", "public"]), name="storage_object_read_valid"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="storage_object_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.collection}/{self.key} of {self.user_id}"
