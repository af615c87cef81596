"""A flag the format does not allow is refused 400 naming the field; staff only; every change audited."""

import pytest

from liveops.models import Flag
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/api/liveops/admin/flags/"
EXPERIMENT = {"variations": [1, 2], "weights": [0.5, 0.5], "key": "exp", "hashAttribute": "id", "coverage": 1}


def body(**changes) -> dict:
    return {"name": "speed", "description": "", "defaultValue": 1, "rules": [], **changes}


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        (body(name="not a slug"), "name"),
        (body(name="dots.are.no.slug"), "name"),
        (body(name="nul\u0000"), "name"),
        (body(rules={"force": 1}), "rules"),
        (body(rules=[1]), "rules"),
        (body(rules=[{"condition": {}}]), "rules"),
        (body(rules=[{"force": 1, "weights": [1]}]), "rules"),
        (body(rules=[{**EXPERIMENT, "unknown": 1}]), "rules"),
        (body(rules=[{k: v for k, v in EXPERIMENT.items() if k != "key"}]), "rules"),
        (body(rules=[{**EXPERIMENT, "weights": [1.0]}]), "rules"),
        (body(rules=[{**EXPERIMENT, "weights": [0.5, 0.4]}]), "rules"),
        (body(rules=[{**EXPERIMENT, "weights": [0.6, 0.6]}]), "rules"),
        (body(rules=[{**EXPERIMENT, "coverage": 1.5}]), "rules"),
        (body(rules=[{**EXPERIMENT, "coverage": -0.1}]), "rules"),
        (body(rules=[{"condition": [], "force": 1}]), "rules"),
        (body(rules=[{"condition": "country == FR", "force": 1}]), "rules"),
        (body(rules=[{**EXPERIMENT, "condition": 3}]), "rules"),
    ],
)
def test_a_flag_the_format_does_not_allow_is_400_naming_the_field(client_for, operator, sent, field):
    response = client_for(operator).post(URL, sent, format="json")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert field in answer or field in answer.get("fields", {})  # a NUL anywhere: the kit's own refusal
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    "rules",
    [
        [{"condition": {"country": "FR"}, "force": 2}],
        [{"force": 3}],
        [EXPERIMENT],
        [{**EXPERIMENT, "condition": {"is_premium": True}, "weights": [0.3333333, 0.6666667]}],
    ],
)
def test_rules_in_growthbooks_format_are_kept_as_sent(client_for, operator, rules):
    response = client_for(operator).post(URL, body(rules=rules), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["rules"] == rules and response.json()["defaultValue"] == 1


def test_a_taken_name_is_409_flag_exists(client_for, operator, make_flag):
    make_flag("speed")
    response = client_for(operator).post(URL, body(), format="json")
    assert response.status_code == 409 and response.json()["code"] == "flag_exists"


def test_an_unknown_flag_is_404_flag_not_found(client_for, operator):
    response = client_for(operator).get(URL + "nothing/")
    assert response.status_code == 404 and response.json()["code"] == "flag_not_found"


@pytest.mark.parametrize("who", ["moderator", "support", "alice"])
def test_anyone_but_liveops_staff_is_403(request, client_for, who, make_flag):
    make_flag("speed", 1)
    client = client_for(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, body(name="other"), format="json").status_code == 403
    assert client.put(URL + "speed/", body(), format="json").status_code == 403
    assert client.delete(URL + "speed/").status_code == 403
    assert Flag.objects.count() == 1


def test_without_a_token_it_is_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_a_superuser_and_the_admin_role_pass(client_for, make_user):
    from django.contrib.auth.models import Group

    root = make_user("root", is_staff=True, is_superuser=True)
    admin = make_user("boss", is_staff=True)
    admin.groups.add(Group.objects.get(name="admin"))
    assert client_for(root).get(URL).status_code == 200
    assert client_for(admin).post(URL, body(), format="json").status_code == 201


def test_create_update_delete_are_audited_with_the_flag(client_for, operator):
    client = client_for(operator)
    assert client.post(URL, body(), format="json").status_code == 201
    changed = client.put(URL + "speed/", body(defaultValue=5, description="faster"), format="json")
    assert changed.status_code == 200 and changed.json()["defaultValue"] == 5
    assert client.get(URL + "speed/").json()["description"] == "faster"
    assert client.delete(URL + "speed/").status_code == 204
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "staff_name", "target", "target_type"))
    assert entries == [
        ("flag.create", "ops", "speed", "liveops.flag"),
        ("flag.update", "ops", "speed", "liveops.flag"),
        ("flag.delete", "ops", "speed", "liveops.flag"),
    ]
    update = AuditEntry.objects.get(action="flag.update")
    assert update.detail["before"]["defaultValue"] == 1 and update.detail["after"]["defaultValue"] == 5


def test_a_refused_change_leaves_no_audit_entry(client_for, operator, make_flag):
    make_flag("speed", 1)
    entries_before = AuditEntry.objects.count()
    response = client_for(operator).put(URL + "speed/", body(rules="nope"), format="json")
    assert response.status_code == 400 and "rules" in response.json()
    assert AuditEntry.objects.count() == entries_before
