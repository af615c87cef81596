"""The community rules a sanction names as its ground, and the facts a decision on a report states.

A sanction carries its statement of reasons (EU Digital Services Act, Art. 17): the rule broken
(``ground``: a rule of the studio's list, its text as it was when the sanction was imposed), the
facts it concerns (``facts``: the player's own content, quoted, or what was seen), whether
automated means decided it, and how long it can be appealed. The list is ``DEFAULT_RULES`` (one
rule per report reason) under the studio's ``MODERATION_RULES`` setting, which rewords these or
adds its own.
"""

from django.conf import settings

from gameplatform.core.errors import ApplicationError
from safety.models import Report

DEFAULT_RULES = {
    Report.Reason.CHEATING: "Play fair: no cheats, bots, exploits or tampering with a game or its traffic.",
    Report.Reason.HARASSMENT: "Respect other players: no insults, threats, stalking or unwanted contact.",
    Report.Reason.HATE: "No hate: nothing that attacks people for their origin, religion, gender, sexuality "
    "or disability.",
    Report.Reason.SPAM: "No spam: no advertising, flooding or scams.",
    Report.Reason.INAPPROPRIATE_NAME: "Names are fit for everyone: nothing offensive, hateful or impersonating.",
    Report.Reason.OTHER: "Follow the community rules and the terms of service.",
}
FACTS_MAX = 2000
QUOTED = 5  # the player's newest messages a report's facts quote
QUOTE_MAX = 300


def rules() -> dict[str, str]:
    """The rules list: rule key -> its text."""
    return {**{str(k): v for k, v in DEFAULT_RULES.items()}, **settings.MODERATION_RULES}


def rule_text(rule: str) -> str:
    """The text of ``rule``: 400 ``invalid`` (on the field ``rule``) for a rule not in the list."""
    found = rules().get(rule)
    if found is None:
        raise ApplicationError(
            "Unknown rule.", code="invalid", extra={"fields": {"rule": [f"One of {', '.join(rules())}."]}}
        )
    return found


def _place(evidence: dict) -> str:
    if "lobby" in evidence:
        return f'lobby "{evidence["lobby"]["name"]}"'
    if "group" in evidence:
        return f'group "{evidence["group"]["name"]}"'
    return "a direct message"


def _quotes(report: Report) -> list[str]:
    """The reported player's own messages in the report's evidence (its additions too), quoted."""
    quotes = []
    for taken in [report.evidence, *report.evidence.get("added", [])]:
        for message in taken.get("messages", []):
            if message.get("sender_id") != report.user_id:
                continue
            text = message.get("content", "")
            text = text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"
            deleted = ", deleted afterwards" if message.get("deleted") else ""
            quotes.append((message.get("id") or 0, f'"{text}" ({_place(taken)}, {message.get("created_at")}{deleted})'))
    return [quote for _, quote in sorted(quotes)[-QUOTED:]]


def facts_from_report(report: Report) -> str:
    """What a sanction decided on ``report`` concerns, from its evidence, told to the sanctioned
    player: their own messages quoted, the game they played, their name; never the reporter's words."""
    lines = _quotes(report)
    games = [t["game"] for t in [report.evidence, *report.evidence.get("added", [])] if "game" in t]
    lines += [f"Your play in game {g['id']} ({g['mode']}), from its recorded inputs." for g in games]
    if report.reason == Report.Reason.INAPPROPRIATE_NAME:
        lines.append(f'Your username "{report.user.username}".')
    if not lines:
        lines.append(f"A report of {report.reason.replace('_', ' ')}, reviewed by a moderator.")
    facts = "\n".join(lines)
    return facts if len(facts) <= FACTS_MAX else facts[: FACTS_MAX - 1] + "…"
