from gameplatform.operations.timers import periodic
from identities.services import spent_id_tokens_forget


@periodic("identities.forget_spent_tokens", every=600)
def forget_spent_tokens() -> int:
    """Spent id tokens are kept until they expire, then forgotten."""
    return spent_id_tokens_forget()
