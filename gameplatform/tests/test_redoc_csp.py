"""The ReDoc page's Content-Security-Policy allows what the page loads: its bundle's images."""

import re
from pathlib import Path

import drf_spectacular_sidecar

BUNDLE = (
    Path(drf_spectacular_sidecar.__file__).parent / "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
)


def directive(policy: str, name: str) -> list[str]:
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def test_the_redoc_page_allows_the_images_its_bundle_loads(client):
    images = set(re.findall(r"https://[\w.-]+/[\w./-]+\.(?:svg|png)", BUNDLE.read_text(encoding="utf-8")))
    assert images  # Redocly's logo
    page = client.get("/redoc/")
    assert page.status_code == 200
    allowed = directive(page["Content-Security-Policy"], "img-src")
    for url in images:
        origin = re.match(r"https://[^/]+", url).group(0)
        assert origin in allowed, (url, allowed)
    assert directive(page["Content-Security-Policy"], "script-src") == ["'self'"]


def test_other_pages_keep_the_site_policy(client):
    page = client.get("/api/docs/")
    assert "https://cdn.redoc.ly" not in page["Content-Security-Policy"]
