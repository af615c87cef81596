from django.core.management.base import BaseCommand, CommandError

from gameplatform.core.errors import ApplicationError
from world.services import WORLD_EVENT_KINDS, world_event_fire


class Command(BaseCommand):
    help = "Fire a world event now: every world socket hears it, and it is kept in the event list."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=WORLD_EVENT_KINDS)

    def handle(self, *args, kind: str, **options) -> None:
        try:
            event = world_event_fire(kind=kind)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{event.kind}: {event.payload}")
