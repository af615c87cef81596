"""Flags as code: ``liveops_push`` makes the flags what a JSON document says, through the staff
services (validated, audited, versioned), and ``liveops_pull`` writes the document it reads."""

import asyncio
import io
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.management import CommandError, call_command

from gameplatform.broadcast.groups import everyone_group
from liveops.models import Flag
from liveops.selectors import liveops_version
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db

ROLLOUT = {
    "condition": {"platform": "ios"},
    "variations": [False, True],
    "weights": [0.9, 0.1],
    "key": "new-shop-rollout",
    "hashAttribute": "id",
    "coverage": 1,
}


def document(**flags) -> dict:
    return {"flags": flags}


def push(tmp_path, doc, *options: str) -> str:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(doc))
    out = io.StringIO()
    call_command("liveops_push", str(path), *options, stdout=out)
    return out.getvalue()


def pull() -> dict:
    out = io.StringIO()
    call_command("liveops_pull", stdout=out)
    return json.loads(out.getvalue())


def test_push_creates_the_flags_audited_as_the_staff_member_and_raises_the_version(tmp_path, operator):
    doc = document(
        **{
            "new-shop": {"description": "The new shop", "defaultValue": False, "rules": [ROLLOUT]},
            "gem-price": {"defaultValue": 99},
        }
    )
    before = liveops_version()
    said = push(tmp_path, doc, "--as", "ops")

    assert said.splitlines() == ["create gem-price", "create new-shop", "2 change(s), 0 flag(s) unchanged"]
    shop = Flag.objects.get(name="new-shop")
    assert (shop.description, shop.default_value, shop.rules) == ("The new shop", False, [ROLLOUT])
    assert Flag.objects.get(name="gem-price").rules == []
    entries = AuditEntry.objects.filter(action="flag.create").order_by("target")
    assert [(e.target, e.staff) for e in entries] == [("gem-price", operator), ("new-shop", operator)]
    assert liveops_version() > before


def test_push_updates_only_the_flags_that_changed_and_names_the_fields(tmp_path, make_flag):
    make_flag("gem-price", 99)
    make_flag("new-shop", False, [ROLLOUT])
    doc = document(
        **{
            "gem-price": {"defaultValue": 99, "description": ""},
            "new-shop": {"defaultValue": False, "rules": [{**ROLLOUT, "weights": [0.5, 0.5]}]},
        }
    )
    said = push(tmp_path, doc)

    assert said.splitlines() == ["update new-shop: rules", "1 change(s), 1 flag(s) unchanged"]
    assert Flag.objects.get(name="new-shop").rules[0]["weights"] == [0.5, 0.5]
    update = AuditEntry.objects.get(action="flag.update")
    assert (update.target, update.staff, update.detail["before"]["rules"]) == ("new-shop", None, [ROLLOUT])


def test_pushing_the_same_document_twice_changes_nothing_the_second_time(tmp_path):
    doc = document(flag={"defaultValue": {"a": [1, 2.5, True]}, "rules": [{"force": 1}]})
    push(tmp_path, doc)
    version, entries = liveops_version(), AuditEntry.objects.count()

    assert push(tmp_path, doc).splitlines() == ["0 change(s), 1 flag(s) unchanged"]
    assert (liveops_version(), AuditEntry.objects.count()) == (version, entries)


def test_true_and_1_are_different_values(tmp_path, make_flag):
    make_flag("flag", 1)
    assert push(tmp_path, document(flag={"defaultValue": True})).splitlines()[0] == "update flag: defaultValue"
    assert Flag.objects.get(name="flag").default_value is True


def test_a_dry_run_says_what_would_change_and_changes_nothing(tmp_path, make_flag):
    make_flag("old", 1)
    make_flag("kept", 1)
    version = liveops_version()
    said = push(tmp_path, document(kept={"defaultValue": 2}, new={"defaultValue": 3}), "--dry-run", "--prune")

    assert said.splitlines() == [
        "would create new",
        "would update kept: defaultValue",
        "would delete old",
        "3 change(s), 0 flag(s) unchanged (dry run: nothing changed)",
    ]
    assert sorted(Flag.objects.values_list("name", "default_value")) == [("kept", 1), ("old", 1)]
    assert liveops_version() == version


def test_prune_deletes_the_flags_the_document_does_not_name_and_without_it_they_stay(tmp_path, make_flag):
    make_flag("old", 1)
    push(tmp_path, document(new={"defaultValue": 2}))
    assert set(Flag.objects.values_list("name", flat=True)) == {"old", "new"}

    said = push(tmp_path, document(new={"defaultValue": 2}), "--prune")
    assert said.splitlines() == ["delete old", "1 change(s), 1 flag(s) unchanged"]
    assert list(Flag.objects.values_list("name", flat=True)) == ["new"]
    assert AuditEntry.objects.filter(action="flag.delete", target="old").exists()


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ([], "flags"),
        ({"flag": {}}, "flags"),
        ({"flags": []}, "flags"),
        ({"flags": {}, "version": 2}, "version"),
        (document(**{"not a slug": {"defaultValue": 1}}), "flags.not a slug"),
        (document(flag=1), "flags.flag"),
        (document(flag={"defaultValue": 1, "default": 2}), "flags.flag.default"),
        (document(flag={"description": 5}), "flags.flag.description"),
        (document(flag={"rules": {"force": 1}}), "flags.flag.rules"),
        (document(flag={"rules": [{**ROLLOUT, "weights": [0.9, 0.2]}]}), "flags.flag.rules: rule 0: weights"),
    ],
)
def test_an_invalid_document_is_refused_naming_its_field_and_changes_nothing(tmp_path, doc, field):
    if isinstance(doc, dict) and isinstance(doc.get("flags"), dict):
        doc["flags"] = {"a-good-one": {"defaultValue": 1}, **doc["flags"]}
    with pytest.raises(CommandError) as refused:
        push(tmp_path, doc)
    assert str(refused.value).startswith(f"{field}"), str(refused.value)
    assert not Flag.objects.exists()


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "flags.json"
    path.write_text("{flags: }")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("liveops_push", str(path))


@pytest.mark.parametrize("username", ["mod", "nobody", "alice"])
def test_acting_as_anyone_but_liveops_staff_is_refused(tmp_path, moderator, alice, username):
    with pytest.raises(CommandError, match="--as"):
        push(tmp_path, document(flag={"defaultValue": 1}), "--as", username)
    assert not Flag.objects.exists()


def test_pull_writes_the_document_push_reads_and_pushing_it_back_changes_nothing(tmp_path, make_flag):
    make_flag("new-shop", False, [ROLLOUT])
    make_flag("ratio", 2.5, [{"condition": {"custom.tier": "gold"}, "force": {"x": True}}])
    pulled = pull()
    assert pulled == {
        "flags": {
            "new-shop": {"description": "", "defaultValue": False, "rules": [ROLLOUT]},
            "ratio": {
                "description": "",
                "defaultValue": 2.5,
                "rules": [{"condition": {"custom.tier": "gold"}, "force": {"x": True}}],
            },
        }
    }
    assert push(tmp_path, pulled, "--prune").splitlines() == ["0 change(s), 2 flag(s) unchanged"]


def test_pull_writes_a_file_with_output(tmp_path, make_flag):
    make_flag("flag", "value")
    call_command("liveops_pull", "--output", str(tmp_path / "out.json"), stderr=io.StringIO())
    assert json.loads((tmp_path / "out.json").read_text()) == pull()


async def _frames_after(action, *, expected: int) -> list[dict]:
    """What a listener of every notifications socket's group hears after ``action``: the
    ``expected`` frames (each waited for as long as a loaded machine may need), then anything
    more within 2.5 s."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(everyone_group(), channel)
    await sync_to_async(action)()
    heard = []
    while True:
        wait = 10 if len(heard) < expected else 2.5
        try:
            heard.append(json.loads((await asyncio.wait_for(layer.receive(channel), wait))["text"]))
        except TimeoutError:
            return heard


@pytest.mark.django_db(transaction=True)
def test_a_push_tells_connected_players_once_however_many_flags_changed(tmp_path):
    doc = document(a={"defaultValue": 1}, b={"defaultValue": 2}, c={"defaultValue": 3})
    heard = async_to_sync(_frames_after)(lambda: push(tmp_path, doc), expected=1)
    assert heard == [{"type": "liveops_changed"}]


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_tells_nobody(tmp_path):
    heard = async_to_sync(_frames_after)(
        lambda: push(tmp_path, document(a={"defaultValue": 1}), "--dry-run"), expected=0
    )
    assert heard == []
