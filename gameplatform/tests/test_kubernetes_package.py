"""deploy/kubernetes/: every overlay renders (kubectl's kustomize, no cluster), the Kubernetes
schemas of the oldest release it is written for and of the newest accept every object, and the
invariants a rolling upgrade relies on hold (deploy/kubernetes/check.py says which)."""

import shutil

import pytest

from deploy.kubernetes import check

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (it renders the package)")


@pytest.fixture(scope="module", params=check.OVERLAYS)
def rendered(request):
    return request.param, check.render(request.param)


@pytest.mark.parametrize("version", check.VERSIONS)
def test_every_object_of_every_overlay_passes_the_kubernetes_schemas(rendered, version):
    overlay, objects = rendered
    assert check.schema_problems(objects, version) == []


def test_every_overlay_holds_the_invariants_of_a_rolling_upgrade(rendered):
    overlay, objects = rendered
    assert check.invariant_problems(objects) == []


def test_a_web_pod_with_a_short_grace_period_or_no_probes_is_named(rendered):
    _, objects = rendered
    web = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "web")
    pod = web["spec"]["template"]["spec"]
    pod["terminationGracePeriodSeconds"] = 5
    del pod["containers"][0]["livenessProbe"]
    pod["containers"][0]["env"].append({"name": "SECRET_KEY", "value": "in-the-package"})
    problems = check.invariant_problems(objects)
    assert "Deployment/web container web: no livenessProbe" in problems
    assert any(p.startswith("web: terminationGracePeriodSeconds under") for p in problems)
    assert any("SECRET_KEY is written in the package" in p for p in problems)


def test_a_typo_in_an_object_is_refused_by_the_schemas(rendered):
    _, objects = rendered
    web = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "web")
    web["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    assert any("httpGett" in p for p in check.schema_problems(objects, "1.30.0"))
