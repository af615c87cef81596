from chat.areas import AREAS
from gameplatform.areas import area_modules

# Importing each area's admin module registers its admin classes.
area_modules("chat", AREAS, "admin")
