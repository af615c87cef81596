from gameplatform.areas import area_modules
from matchmaking.areas import AREAS

# Importing each area's timers module (queue, invites) registers its periodic jobs.
area_modules("matchmaking", AREAS, "timers")
