"""The manual (mkdocs.yml, docs/) builds strictly, and every code block of it and of the README is
checked by its language: nothing is skipped silently. A block is any fenced block: backticks or
tildes, at the start of a line or indented (in a list item); a fence never closed fails.

- ```python and ```bash / ```sh / ```console blocks run, as written, against the session's live
  server (``http://127.0.0.1:8000`` in a block is that server's address), from a sandbox
  directory that looks like the repository (``.venv/bin/python manage.py ...`` and ``make TARGET``
  work, on the live server's database; what a block writes stays in the sandbox). A block must
  exit 0.
- ```js blocks run in a page of the live server in headless Chromium (their ``import`` of the
  browser SDK becomes a dynamic one; ``draw``, which the examples leave to the reader, is a no-op):
  the block must finish without an exception, and the page must report no error (beyond the
  failed HTTP answers it catches).
- ```json blocks parse; ```yaml blocks parse.
- A block that cannot run here (it starts a server, runs the whole suite, needs docker, a
  browser page or another host) is preceded by ``<!-- not run: the reason -->``. It is still
  checked as far as it can be without running: shell blocks by ``bash -n``, every ``make TARGET``
  they name is a target of the Makefile and every repository path they name exists; Python blocks
  compile; JavaScript blocks pass ``node --check``; JSON and YAML blocks parse; for any other
  language (nginx, ini, text) the reason is the check.
- A block run by another test is preceded by ``<!-- checked by: path/to/test.py -->``; that test
  must exist and read the page.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
MKDOCS = Path(sys.executable).parent / "mkdocs"

# What the blocks call the server `make run` starts; the tests put the live server's address there.
DEV_HTTP = "http://127.0.0.1:8000"
DEV_WS = "ws://127.0.0.1:8000"

RUNNABLE = {"python", "bash", "sh", "console"}
IN_BROWSER = {"js", "javascript"}
PARSED = {"json", "yaml"}
EXEMPTABLE = {"nginx", "ini", "text", "toml", "csharp"}

# A fence opens a line (after any indentation, as in a list item): three or more backticks or
# tildes, then the info string (a backtick fence's has no backtick: ```` ```python ```` in a
# sentence is inline code). It closes on a line of the same character, at least as long.
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}(?=[^`]*$)|~{3,})(?P<info>.*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<marker>[^>]*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    body: str
    marker: str
    closed: bool = True

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}:{self.lang or 'none'}"

    @property
    def how(self) -> tuple[str, str]:
        """("not run" | "checked by" | "", the rest of the marker)."""
        kind, _, rest = self.marker.partition(":")
        return kind.strip(), rest.strip()


def fenced_blocks(text: str) -> list[tuple[int, str, str, str, bool]]:
    """``(line, lang, body, marker, closed)`` of every fenced block of a Markdown text: backtick
    and tilde fences, indented or not (the body loses the fence's indentation); the marker is an
    HTML comment on the line just before the fence. A fence never closed runs to the end."""
    lines = text.split("\n")
    found = []
    at = 0
    while at < len(lines):
        opening = FENCE_OPEN.match(lines[at])
        if not opening:
            at += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        lang = re.match(r"\{?\.?([\w+-]*)", opening["info"].strip())[1]
        before = MARKER.match(lines[at - 1]) if at else None
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = next((i for i in range(at + 1, len(lines)) if closing.match(lines[i])), None)
        body_lines = lines[at + 1 : len(lines) if end is None else end]
        body = "".join(f"{line.removeprefix(indent)}\n" for line in body_lines)
        found.append((at + 1, lang, body, before["marker"] if before else "", end is not None))
        at = len(lines) if end is None else end + 1
    return found


def without_code_blocks(text: str) -> str:
    """The text with its fenced blocks left out (their lines, fences included)."""
    lines = text.split("\n")
    for line, _, body, _, closed in fenced_blocks(text):
        end = line + body.count("\n") + (1 if closed else 0)
        lines[line - 1 : end] = [""] * (end - line + 1)
    return "\n".join(lines)


def blocks() -> list[Block]:
    return [Block(page, *found) for page in PAGES for found in fenced_blocks(page.read_text())]


BLOCKS = blocks()
LIVE_BLOCKS = [b for b in BLOCKS if b.lang in RUNNABLE and not b.marker]
BROWSER_BLOCKS = [b for b in BLOCKS if b.lang in IN_BROWSER and not b.marker]
OTHER_BLOCKS = [b for b in BLOCKS if b not in LIVE_BLOCKS and b not in BROWSER_BLOCKS]


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.MULTILINE))


def shell_commands(body: str) -> str:
    """A console block's commands (its ``$ `` lines); any other shell block as it is."""
    lines = body.splitlines()
    if any(line.startswith("$ ") for line in lines):
        return "\n".join(line[2:] for line in lines if line.startswith("$ "))
    return body


def sandbox(tmp_path: Path) -> Path:
    """A directory that looks like the repository: every top-level entry linked, except the places
    a block may write to (deploy/tls, the SQLite file), which start empty."""
    box = tmp_path / "gameplatform"
    box.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in {"deploy", "db.sqlite3", "site", ".git"}:
            continue
        (box / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "deploy", box / "deploy", ignore=shutil.ignore_patterns("tls", "acme"))
    return box


# --- the site builds without a warning -------------------------------------------------------------


def test_the_manual_builds_strictly_without_a_warning(tmp_path):
    """Broken links and anchors, pages missing from the nav or nav entries without a page: each is a
    warning, and ``--strict`` turns any warning into a failed build."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert done.returncode == 0 and not warnings, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "operations" / "deploy" / "index.html").exists()


def not_in_nav() -> set[str]:
    """The pages ``not_in_nav`` of mkdocs.yml keeps out of the navigation (one ``/page.md`` a line)."""
    config = (ROOT / "mkdocs.yml").read_text()
    block = re.search(r"^not_in_nav: \|\n((?:  .*\n)+)", config, re.MULTILINE)
    return {line.strip().lstrip("/") for line in block[1].splitlines()} if block else set()


def test_every_page_of_docs_is_in_the_nav_or_kept_out_of_it_by_name():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    listed = set(re.findall(r":\s*([\w/-]+\.md)\s*$", nav, re.MULTILINE))
    outside = not_in_nav()
    assert outside == {"benchmark-history.md"}, outside
    assert not listed & outside, "a page is both in the nav and kept out of it"
    assert pages == listed | outside


def test_the_benchmark_history_out_of_the_nav_is_linked_from_the_benchmarks_and_the_changelog():
    """Out of the navigation is not out of reach."""
    linking = {
        str(p.relative_to(ROOT / "docs"))
        for p in (ROOT / "docs").rglob("*.md")
        if re.search(r"\]\(benchmark-history\.md(#[^)]*)?\)", p.read_text())
    }
    assert {"benchmarks.md", "changelog.md"} <= linking, linking


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_of_the_readme_leads_to_a_file_and_heading_that_exist():
    """The strict build checks the links of docs/; the README is read on the forge and in a
    checkout, so its relative links (and their #anchors, as the forge spells them) are checked here."""
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", readme)
    relative = [link for link in links if not re.match(r"^[a-z][a-z+.-]*:", link)]
    assert len(relative) >= 20, relative
    broken = []
    for link in relative:
        path, _, anchor = link.partition("#")
        target = ROOT / path if path else ROOT / "README.md"
        if not target.exists():
            broken.append(link)
        elif anchor:
            text = without_code_blocks(target.read_text())
            headings = re.findall(r"^#+\s+(.+?)\s*$", text, re.MULTILINE)
            if anchor not in {github_slug(h) for h in headings}:
                broken.append(link)
    assert not broken, f"README.md links to what does not exist: {broken}"


def test_the_readme_and_the_home_page_give_the_two_commands_and_say_what_a_seed_is():
    for page in (ROOT / "README.md", ROOT / "docs" / "index.md"):
        text = page.read_text()
        first_block = next(b for b in BLOCKS if b.page == page and b.lang == "bash")
        assert [line.split("#")[0].strip() for line in first_block.body.splitlines()] == ["make run", "make test"]
        assert "The *seeds*" in text or "called *seeds*" in text, page
        assert text.index("*seeds*") < text.index("make run"), f"{page.name} uses seeds before saying what they are"


# --- every code block is checked -------------------------------------------------------------------


def test_the_pages_have_code_blocks_of_each_kind():
    """The collector sees the blocks (a change of fence style would otherwise check nothing)."""
    langs = {b.lang for b in BLOCKS}
    assert {"python", "bash", "json", "yaml", "js"} <= langs
    assert len(LIVE_BLOCKS) >= 5 and BROWSER_BLOCKS


def test_the_collector_finds_indented_tilde_and_longer_fences_but_not_inline_code():
    """No block escapes the run-or-marked rule by its fence: one in a list item, a ``~~~`` one and a
    four-backtick one (holding a three-backtick line) are blocks; ```` ```python ```` in a sentence is not."""
    text = "\n".join(
        [
            "Say ```` ```python ```` in a sentence.",
            "1. A step:",
            "",
            "    <!-- not run: indented -->",
            "    ```bash",
            "    make run",
            "    ```",
            "~~~python",
            "print(1)",
            "~~~",
            "````markdown",
            "```python",
            "````",
            "```sh",
            "echo never closed",
        ]
    )
    assert fenced_blocks(text) == [
        (5, "bash", "make run\n", "not run: indented", True),
        (8, "python", "print(1)\n", "", True),
        (11, "markdown", "```python\n", "", True),
        (14, "sh", "echo never closed\n", "", False),
    ]
    left = [line for line in without_code_blocks(text).splitlines() if line]
    assert left == [*text.splitlines()[:2], "    <!-- not run: indented -->"]


def test_every_fence_of_the_pages_is_closed():
    unclosed = [block.name for block in BLOCKS if not block.closed]
    assert not unclosed, f"a fence is never closed (the rest of the page would be code): {unclosed}"


@pytest.mark.parametrize("block", OTHER_BLOCKS, ids=lambda b: b.name)
def test_code_block_that_is_not_run_here_is_checked_as_far_as_it_can_be(block, tmp_path):
    kind, detail = block.how
    assert block.lang, f"{block.name}: a code block names its language"
    if block.lang not in RUNNABLE | PARSED:
        assert block.lang in EXEMPTABLE | IN_BROWSER, f"{block.name}: no check for the language {block.lang!r}"
        assert kind in {"not run", "checked by"} and detail, (
            f"{block.name}: a {block.lang} block is preceded by <!-- not run: the reason -->"
        )
    if block.marker:
        assert kind in {"not run", "checked by"}, f"{block.name}: unknown marker {block.marker!r}"
        assert len(detail) >= 10, f"{block.name}: the marker gives its reason ({block.marker!r})"
    if kind == "checked by":
        test = ROOT / detail
        assert test.is_file(), f"{block.name}: {detail} does not exist"
        assert block.page.name in test.read_text(), f"{block.name}: {detail} does not read {block.page.name}"

    if block.lang == "json":
        json.loads(block.body)
    elif block.lang == "yaml":
        assert yaml.safe_load(block.body) is not None
    elif block.lang == "python":
        compile(block.body, block.name, "exec")
    elif block.lang in {"js", "javascript"}:
        if shutil.which("node") is None:
            pytest.skip("node is not installed: the JavaScript blocks' syntax is not checked")
        source = tmp_path / "block.mjs"
        source.write_text(block.body)
        done = subprocess.run(["node", "--check", str(source)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"{block.name}:\n{done.stderr}"
    elif block.lang in {"bash", "sh", "console"}:
        commands = shell_commands(block.body)
        done = subprocess.run(["bash", "-n"], input=commands, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"{block.name}: {done.stderr}"
        targets = makefile_targets()
        for line in commands.splitlines():
            for target in re.findall(r"(?:^|[;&|(]\s*|\s)make\s+([a-z][\w-]*)", line):
                assert target in targets, f"{block.name}: make {target} is no target of the Makefile"
        for word in shlex.split(commands, comments=True):
            path = word.split("=", 1)[-1]
            if re.match(r"^(\.venv/bin|bench|gameplatform|webclient|deploy/nginx|client|requirements)/[\w./-]+$", path):
                assert (ROOT / path).exists(), f"{block.name}: {path} does not exist"


@pytest.mark.parametrize("block", LIVE_BLOCKS, ids=lambda b: b.name)
def test_code_block_runs_as_written_against_a_live_server(block, live, tmp_path):
    box = sandbox(tmp_path)
    body = block.body.replace(DEV_HTTP, live.http).replace(DEV_WS, live.ws)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DATABASE_URL": live.env["DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": "gameplatform.settings",
        "DEBUG": "1",
        # `make TARGET` takes the venv as up to date: a test never installs packages.
        "MAKEFLAGS": "-o .venv/.installed",
    }
    if block.lang == "python":
        command = [sys.executable, "-c", body]
    else:
        command = ["bash", "-euo", "pipefail", "-c", shell_commands(body)]
    done = subprocess.run(command, cwd=box, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, f"{block.name} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"


def test_the_websocket_frames_page_names_every_route_and_frame_of_the_asyncapi_document():
    from gameplatform.reference.asyncapi import asyncapi_document

    page = (ROOT / "docs" / "websocket-frames.md").read_text()
    document = asyncapi_document()
    for channel in document["channels"].values():
        assert f"`{channel['address']}`" in page, channel["address"]
    for message in document["components"]["messages"].values():
        assert f"`{message['name']}`" in page, message["name"]


@pytest.mark.parametrize("block", BROWSER_BLOCKS, ids=lambda b: b.name)
def test_code_block_runs_in_a_browser_page_of_the_live_server(block, live):
    from webclient.tests.conftest import CHROMIUM_ARGS, find_chromium

    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    body = block.body.replace(DEV_HTTP, live.http)
    body = re.sub(r"^import \{([^}]*)\} from (\"[^\"]+\");", r"const {\1} = await import(\2);", body, flags=re.M)
    with sync_api.sync_playwright() as playwright:
        path = find_chromium(playwright)
        if path is None:
            pytest.skip("no Chromium found (set CHROMIUM_PATH, or install chromium)")
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            problems = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            # An HTTP error answer the block catches (the 403 of its last call) is logged by the browser
            # as a failed resource; anything else it logs as an error is a problem.
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.goto(f"{live.http}/")
            page.evaluate("() => { window.draw = () => {}; }")
            page.evaluate(f"async () => {{\n{body}\n}}")
            page.wait_for_timeout(1000)  # the sockets it opened connect, or say why they cannot
            assert not problems, f"{block.name}: the page reported {problems}"
        finally:
            browser.close()


def test_the_configuration_table_names_every_variable_the_settings_read():
    """Each environment variable ``gameplatform/settings.py`` reads has a row of the configuration
    table on the Operations page (the README's old promise: nothing is configured in secret)."""
    settings_source = (ROOT / "gameplatform" / "settings.py").read_text()
    names = set(re.findall(r"env_(?:int|bool|str|list|float)\(\s*\"([A-Z_]+)\"", settings_source))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "GAME_MODES"} <= names
    page = (ROOT / "docs" / "operations" / "index.md").read_text()
    rows = "\n".join(line for line in page.splitlines() if line.startswith("| `"))
    missing = sorted(name for name in names if f"`{name}`" not in rows)
    assert not missing, f"no row in docs/operations/index.md for {missing}"


def test_the_manual_names_every_make_target_and_every_app():
    manual = "\n".join(page.read_text() for page in PAGES)
    phony = re.findall(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    targets = {name for line in phony for name in line.split()} - {"serve-check"}  # run by serve
    missing = sorted(t for t in targets if f"make {t}" not in manual)
    assert not missing, f"no page says how to use make {missing}"
    from django.conf import settings

    apps = [app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()]
    concepts = (ROOT / "docs" / "concepts.md").read_text()
    assert [app for app in apps if f"`{app}`" not in concepts and f"`{app}/`" not in concepts] == []
