from chat.areas import AREAS
from gameplatform.areas import collect

urlpatterns = collect("chat", AREAS, "urls", "urlpatterns")
