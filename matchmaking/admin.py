from gameplatform.areas import area_modules
from matchmaking.areas import AREAS

# Importing each area's admin module registers its admin classes.
area_modules("matchmaking", AREAS, "admin")
