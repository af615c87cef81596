from django import forms
from django.contrib import admin
from rest_framework.exceptions import ValidationError as DrfValidationError

from gameplatform.backoffice import AuditedAdmin
from gameplatform.core.errors import ApplicationError
from storage import services
from storage.models import StorageObject


class StorageObjectForm(forms.ModelForm):
    class Meta:
        model = StorageObject
        fields = ["user", "collection", "key", "value", "read"]

    def clean(self):
        """The API's rules, as form errors: slug names, the value's size, the per-user limit."""
        data = super().clean()
        new = self.instance.pk is None
        try:
            services.storage_object_check(
                user=data.get("user") if new else self.instance.user,
                collection=data.get("collection", "") if new else self.instance.collection,
                key=data.get("key", "") if new else self.instance.key,
                value=data.get("value"),
                new=new,
            )
        except DrfValidationError as exc:
            for field, messages in exc.detail.items():
                self.add_error(field if field in self.fields else None, messages)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return data


@admin.register(StorageObject)
class StorageObjectAdmin(AuditedAdmin):
    form = StorageObjectForm
    list_display = ["id", "user", "collection", "key", "read", "version", "updated_at"]
    list_filter = ["read"]
    search_fields = ["user__username", "collection", "key"]
    raw_id_fields = ["user"]
    readonly_fields = ["version", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # An object's place (owner, collection, key) is fixed once made, as through the API.
        return [*self.readonly_fields, "user", "collection", "key"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the service, as the API writes: the version grows (an edit replaces the value
        whatever version it is at, as a PUT without If-Match does)."""
        saved, _ = services.storage_object_put(
            user=obj.user, collection=obj.collection, key=obj.key, value=obj.value, read=obj.read
        )
        obj.pk, obj.version, obj.updated_at = saved.pk, saved.version, saved.updated_at
