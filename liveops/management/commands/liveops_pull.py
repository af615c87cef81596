"""``manage.py liveops_pull [--output FILE.json]``: every flag as the JSON document
``liveops_push`` reads, so a studio keeps its flags in git (pull, commit, push from CI)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from liveops.flags_as_code import flags_document


class Command(BaseCommand):
    help = "Write every flag as the JSON document liveops_push reads."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", metavar="FILE.json", help="write it there (unset: standard output)")

    def handle(self, *args, output: str | None, **options) -> None:
        document = flags_document()
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        self.stderr.write(f"{len(document['flags'])} flag(s) written to {output}")
