"""One version everywhere (docs/versioning.md): the server's ``gameplatform.__version__``, what
``/api/status/`` and the API documents report, the Python SDK's package and module, the mode API's
package (``client/modes``), the TypeScript SDK's package, its ``VERSION`` and the web client's
committed bundle of it; and the changelog's newest release is that version."""

import ast
import json
import re
import tomllib

import pytest
from django.conf import settings

import gameplatform
from gameplatform.tests.live import ROOT

pytestmark = pytest.mark.django_db

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")


def python_sdk_module_version() -> str:
    """``__version__`` of the Python SDK's source (read, not imported: the venv may have another
    checkout of it installed)."""
    tree = ast.parse((ROOT / "client/python/gameplatform_client/__init__.py").read_text())
    (value,) = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"]
    ]
    return value


def versions(status: dict) -> dict[str, str]:
    js = ROOT / "client/js"
    lock = json.loads((js / "package-lock.json").read_text())
    bundle = (ROOT / "webclient/static/webclient/gameplatform-client.js").read_text()
    return {
        "gameplatform.__version__": gameplatform.__version__,
        "settings.VERSION": settings.VERSION,
        "OpenAPI info.version": settings.SPECTACULAR_SETTINGS["VERSION"],
        "/api/status/": status["version"],
        "client/python/pyproject.toml": tomllib.loads((ROOT / "client/python/pyproject.toml").read_text())["project"][
            "version"
        ],
        "gameplatform_client.__version__": python_sdk_module_version(),
        "client/modes/pyproject.toml": tomllib.loads((ROOT / "client/modes/pyproject.toml").read_text())["project"][
            "version"
        ],
        "client/js/package.json": json.loads((js / "package.json").read_text())["version"],
        "client/js/package-lock.json": lock["packages"][""]["version"],
        "client/js/src/index.ts VERSION": re.search(
            r'^export const VERSION = "([^"]+)";', (js / "src/index.ts").read_text(), re.M
        ).group(1),
        "the web client's bundle": re.search(r'^var VERSION = "([^"]+)";', bundle, re.M).group(1),
    }


def test_the_server_and_both_sdks_are_at_one_semantic_version(api_client):
    found = versions(api_client.get("/api/status/").json())
    assert set(found.values()) == {gameplatform.__version__}, found
    assert SEMVER.match(gameplatform.__version__)


def test_the_changelogs_newest_release_is_the_version_and_says_its_date():
    releases = re.findall(
        r"^## (\d+\.\d+\.\d+\S*) \((\d{4}-\d{2}-\d{2})\)$", (ROOT / "docs/changelog.md").read_text(), re.M
    )
    assert releases, "the changelog names its releases: ## X.Y.Z (YYYY-MM-DD)"
    assert releases[0][0] == gameplatform.__version__
