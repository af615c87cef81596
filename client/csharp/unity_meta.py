"""Unity's ``.meta`` files of the package: a package installed from a Git URL is read-only, and
Unity ignores any asset of it without one. Each asset (file or folder, outside the folders whose
name ends in ``~``, which Unity skips) gets its importer and a GUID drawn from its path, so the GUIDs
never change. ``python unity_meta.py`` writes them; ``--check`` says which are missing or stale."""

import hashlib
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SKIPPED = {"build", "unity_meta.py", "Makefile", ".gitignore"}  # the .NET build's own files, not assets

IMPORTERS = {
    ".cs": "MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
    "  executionOrder: 0\n  icon: {instanceID: 0}\n",
    ".asmdef": "AssemblyDefinitionImporter:\n  externalObjects: {}\n",
    ".json": "TextScriptImporter:\n  externalObjects: {}\n",
    ".md": "TextScriptImporter:\n  externalObjects: {}\n",
}
DEFAULT = "DefaultImporter:\n  externalObjects: {}\n"
TAIL = "  userData: \n  assetBundleName: \n  assetBundleVariant: \n"


def assets() -> list[Path]:
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] in SKIPPED or path.suffix == ".meta" or any(p.endswith("~") or p.startswith(".") for p in parts):
            continue
        if any(p.endswith("~") for p in parts[:-1]):
            continue
        found.append(path)
    return found


def meta_text(path: Path) -> str:
    guid = hashlib.md5(f"com.gameplatform.client/{path.relative_to(PACKAGE).as_posix()}".encode()).hexdigest()
    if path.is_dir():
        return f"fileFormatVersion: 2\nguid: {guid}\nfolderAsset: yes\n{DEFAULT}{TAIL}"
    return f"fileFormatVersion: 2\nguid: {guid}\n{IMPORTERS.get(path.suffix, DEFAULT)}{TAIL}"


def stale() -> list[str]:
    wrong = []
    for path in assets():
        meta = path.with_name(path.name + ".meta")
        if not meta.is_file() or meta.read_text() != meta_text(path):
            wrong.append(str(meta.relative_to(PACKAGE)))
    return wrong


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        wrong = stale()
        print("\n".join(wrong) or "every asset has its .meta")
        sys.exit(1 if wrong else 0)
    for path in assets():
        path.with_name(path.name + ".meta").write_text(meta_text(path))
