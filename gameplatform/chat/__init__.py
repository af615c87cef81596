"""What every chat room has (lobbies, player groups): abstract models, services and APIs, speech, admin
pieces."""
