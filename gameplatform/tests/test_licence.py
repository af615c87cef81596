"""The licence: the MIT text at the root, the same text and the MIT metadata in every package
built from the repository (the Python SDK, the mode API's package and the TypeScript SDK; the
platform itself is not packaged), and the README saying so."""

import json
import subprocess
import sys

from gameplatform.tests.live import ROOT

PACKAGES = [ROOT / "client" / "python", ROOT / "client" / "modes"]


def test_the_root_licence_is_mit_by_the_gameplatform_authors():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the gameplatform authors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_every_package_ships_the_licence_and_declares_mit_in_its_metadata(tmp_path):
    for package in PACKAGES:
        assert (package / "LICENSE").read_text() == (ROOT / "LICENSE").read_text(), f"{package}/LICENSE differs"
        # The metadata setuptools writes for the package (what PyPI and pip show).
        egg_base = tmp_path / package.name
        egg_base.mkdir()
        subprocess.run(
            [sys.executable, "-W", "ignore", "-c", "from setuptools import setup; setup()", "-q"]
            + ["egg_info", "--egg-base", str(egg_base)],
            cwd=package,
            check=True,
            capture_output=True,
            timeout=60,
        )
        (info,) = egg_base.glob("*.egg-info")
        headers = (info / "PKG-INFO").read_text().split("\n\n", 1)[0].splitlines()
        assert "License: MIT" in headers
        assert "Classifier: License :: OSI Approved :: MIT License" in headers
        assert "License-File: LICENSE" in headers
        assert "LICENSE" in (info / "SOURCES.txt").read_text().split()


def test_the_npm_package_ships_the_licence_and_declares_mit():
    package = ROOT / "client" / "js"
    assert (package / "LICENSE").read_text() == (ROOT / "LICENSE").read_text(), "client/js/LICENSE differs"
    manifest = json.loads((package / "package.json").read_text())
    assert manifest["license"] == "MIT"
    assert "LICENSE" in manifest["files"]


def test_the_readme_names_the_licence():
    readme = (ROOT / "README.md").read_text()
    assert "MIT licence ([LICENSE](LICENSE))" in readme
