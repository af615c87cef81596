from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from friends.models import Block
from gameplatform.core.errors import NotFound
from matchmaking.models import Invite

BOXES = ("inbox", "sent")


def _blocked_pair() -> Exists:
    return Exists(
        Block.objects.filter(
            Q(blocker_id=OuterRef("from_user_id"), blocked_id=OuterRef("to_user_id"))
            | Q(blocker_id=OuterRef("to_user_id"), blocked_id=OuterRef("from_user_id"))
        )
    )


def _live_pending() -> QuerySet[Invite]:
    """Pending and before the deadline (the expiry job may not have run yet), between unblocked users."""
    return Invite.objects.filter(status=Invite.Status.PENDING, expires_at__gt=timezone.now()).exclude(_blocked_pair())


def invites_pending(*, user_id: int, box: str = "inbox") -> QuerySet[Invite]:
    """The pending invites a user received (``inbox``) or sent (``sent``), newest first."""
    invites = _live_pending().select_related("from_user", "to_user").order_by("-created_at", "-id")
    if box == "sent":
        return invites.filter(from_user_id=user_id)
    return invites.filter(to_user_id=user_id)


def pending_invite_count(*, user_id: int) -> int:
    """Pending invites addressed to this user (the ``pending_invites`` of the badge)."""
    return _live_pending().filter(to_user_id=user_id).count()


def invite_get_for_party(*, invite_id: int, user_id: int) -> Invite:
    """The invite, for its sender or receiver only (404 for anyone else: no leak of its existence)."""
    invite = (
        Invite.objects.select_related("from_user", "to_user")
        .filter(Q(from_user_id=user_id) | Q(to_user_id=user_id), pk=invite_id)
        .first()
    )
    if invite is None:
        raise NotFound("No such invite.", code="invite_not_found")
    return invite


def invite_ids_due(*, limit: int = 500) -> list[int]:
    """Pending invites whose deadline has passed, oldest deadline first."""
    due = Invite.objects.filter(status=Invite.Status.PENDING, expires_at__lte=timezone.now()).order_by("expires_at")
    return list(due.values_list("pk", flat=True)[:limit])
