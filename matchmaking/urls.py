from gameplatform.areas import collect
from matchmaking.areas import AREAS

urlpatterns = collect("matchmaking", AREAS, "urls", "urlpatterns")
