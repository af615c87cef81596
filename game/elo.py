"""Elo for two or more players: every pair of players is one Elo duel, K shared out across the pairs.

A player's result is ``win``, ``draw`` or ``loss``; between two players the better result
scores 1, equal results 0.5. With two players this is plain Elo with K = 32.
"""

K_FACTOR = 32
START_RATING = 1000
_RANK = {"loss": 0, "draw": 1, "win": 2}


def expected(rating: float, other: float) -> float:
    return 1 / (1 + 10 ** ((other - rating) / 400))


def rating_changes(ratings: dict[int, int], results: dict[int, str], k: float = K_FACTOR) -> dict[int, int]:
    if len(ratings) < 2:
        return {user_id: 0 for user_id in ratings}
    k_pair = k / (len(ratings) - 1)
    changes = {}
    for user_id, rating in ratings.items():
        delta = 0.0
        for other_id, other_rating in ratings.items():
            if other_id == user_id:
                continue
            mine, theirs = _RANK[results[user_id]], _RANK[results[other_id]]
            actual = 1.0 if mine > theirs else 0.5 if mine == theirs else 0.0
            delta += k_pair * (actual - expected(rating, other_rating))
        changes[user_id] = round(delta)
    return changes
