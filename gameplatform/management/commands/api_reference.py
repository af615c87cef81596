from django.core.management.base import BaseCommand, CommandError

from gameplatform.reference import pages as reference


class Command(BaseCommand):
    help = (
        "Write the docs site's API reference pages (docs/reference/rest.md and sockets.md) from the OpenAPI"
        " and AsyncAPI documents; --check only says whether the committed pages are current."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a page is stale")

    def handle(self, *args, check: bool, **options):
        stale = []
        for page, text in reference.pages().items():
            current = page.read_text() if page.exists() else None
            if current == text:
                continue
            stale.append(page)
            if not check:
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(text)
                self.stdout.write(f"wrote {page}")
        if check and stale:
            names = ", ".join(str(page) for page in stale)
            raise CommandError(f"stale: {names}; run `{reference.REFRESH}`")
        if not stale:
            self.stdout.write("the reference pages are current")
