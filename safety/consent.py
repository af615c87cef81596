"""A parent's consent for an under-13 account, recorded by staff (``accounts.age``), audited."""

from django.db import transaction

from accounts import age, policy
from accounts.models import User
from staff import audit


@transaction.atomic
def parental_consent_record(*, staff, user_id: int) -> User:
    """Staff record that a parent consented: the account's free-text chat opens (under 13), on
    every process at once. Audited as ``age.consent``. 404 for no such user."""
    user = age.parental_consent_record(user_id=user_id)
    audit.record(
        staff=staff,
        action="age.consent",
        target_type="user",
        target_id=user.pk,
        target=user.username,
        detail={"age_band": policy.band_of(user)},
    )
    return user
