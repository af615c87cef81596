from django import forms
from django.contrib import admin

from wordfilter import services
from wordfilter.matching import MAX_WORD, MIN_WORD, word_key
from wordfilter.models import FilterWord


class FilterWordForm(forms.ModelForm):
    class Meta:
        model = FilterWord
        fields = ["word"]

    def clean_word(self) -> str:
        key = word_key(self.cleaned_data["word"])
        if not key:
            raise forms.ValidationError(f"One word of {MIN_WORD} to {MAX_WORD} Latin letters.")
        if FilterWord.objects.filter(word=key).exists():
            raise forms.ValidationError(f"The list holds {key!r} already.")
        return key


@admin.register(FilterWord)
class FilterWordAdmin(admin.ModelAdmin):
    """The word filter's list. Adding and deleting go through ``wordfilter.services`` (the word
    normalised, the list's version raised, the audit log written), as over the API."""

    form = FilterWordForm
    list_display = ["word", "created_at", "created_by"]
    search_fields = ["word"]
    fields = ["word"]
    readonly_fields = ["created_at", "created_by"]
    actions = ["delete_selected_words"]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the add form; a word is removed and added again, not edited

    def save_model(self, request, obj, form, change):
        added = services.word_add(staff=request.user, word=form.cleaned_data["word"])
        obj.pk, obj.word, obj.created_at, obj.created_by = added.pk, added.word, added.created_at, added.created_by

    def delete_model(self, request, obj):
        services.word_remove(staff=request.user, word_id=obj.pk)

    def get_actions(self, request, *args, **kwargs):  # Django 6.1 passes action_location too
        actions = super().get_actions(request, *args, **kwargs)
        actions.pop("delete_selected", None)  # the bulk delete skips delete_model
        return actions

    @admin.action(description="Delete the selected words", permissions=["delete"])
    def delete_selected_words(self, request, queryset):
        for word_id in queryset.values_list("pk", flat=True):
            services.word_remove(staff=request.user, word_id=word_id)
