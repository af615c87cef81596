AREAS = ("lobbies", "dms")
