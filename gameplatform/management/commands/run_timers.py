import signal

from django.core.management.base import BaseCommand

from gameplatform.operations import timers


class Command(BaseCommand):
    help = "Run the background timers (every app's @periodic jobs; their names are printed first). Safe to run several."

    def handle(self, *args, **options):
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        jobs = timers.discover()
        self.stdout.write(f"Running timers: {', '.join(sorted(jobs)) or 'none'}")
        try:
            timers.run_forever(should_stop=lambda: bool(stopping))
        except KeyboardInterrupt:
            pass
