"""The admin names every model in English: a plural Django made by adding "s" ("Lobbys",
"Enemys") is a defect on the admin's index page."""

import re

import pytest
from django.apps import apps
from django.contrib import admin

# Nouns whose plural no rule below makes.
IRREGULAR = {"species": "species"}


def english_plural(name: str) -> str:
    head, _, last = name.rpartition(" ")
    if last.lower() in IRREGULAR:
        plural = IRREGULAR[last.lower()]
    elif re.search(r"[^aeiou]y$", last, re.I):
        plural = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last, re.I):
        plural = last + "es"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


def test_the_plural_rule_knows_the_cases_django_gets_wrong():
    assert english_plural("lobby") == "lobbies" and english_plural("ledger entry") == "ledger entries"
    assert english_plural("pet species") == "pet species" and english_plural("box") == "boxes"
    assert english_plural("day") == "days" and english_plural("game") == "games"


def test_every_model_in_the_admin_has_an_english_plural():
    wrong = {
        f"{model._meta.label}: {model._meta.verbose_name_plural}": english_plural(str(model._meta.verbose_name))
        for model in apps.get_models()
        if admin.site.is_registered(model)
        if str(model._meta.verbose_name_plural) != english_plural(str(model._meta.verbose_name))
    }
    assert not wrong, f"set Meta.verbose_name_plural (or verbose_name): {wrong}"


@pytest.mark.django_db
def test_admin_index_says_lobbies_and_enemies(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    page = client.get("/admin/").content.decode()
    assert ">Lobbies<" in page and ">Enemies<" in page and ">Last seen times<" in page
    assert "Lobbys" not in page and "Enemys" not in page and "Last seens" not in page
