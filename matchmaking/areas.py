AREAS = ("queue", "invites")
