from matchmaking.areas import AREAS
from gameplatform.areas import collect

urlpatterns = collect("matchmaking", AREAS, "urls", "urlpatterns")
