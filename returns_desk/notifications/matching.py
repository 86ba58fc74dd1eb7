"""Which return an incoming email is about, and why: the thread it answers, an RMA number it names, or the
sender's one open return. Anyone can type an RMA number, so a match counts only when the email comes from
that return's customer; otherwise the email waits in triage with the reason.
"""

import re
from dataclasses import dataclass
from email.message import EmailMessage

from returns_desk.returns.models import ReturnRequest
from returns_desk.returns.models.choices import OPEN_STATUSES
from returns_desk.returns.services import rma_for

from .models import OutboundEmail

# "RMA-000123", "rma 123", "RMA#123", "RMA:000123", "RMA000123"; and "#123" on its own.
RMA_MENTION = re.compile(r"\bRMA[\s#:._-]{0,3}(\d{1,9})\b", re.IGNORECASE)
HASH_MENTION = re.compile(r"(?<![\w&#])#\s?(\d{1,9})\b")
MESSAGE_ID = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Match:
    return_request: ReturnRequest | None
    how: str


def rma_numbers_in(*texts: str) -> list[str]:
    """The RMA numbers the texts name, in the form we print them, first mention first, each once."""
    found: list[str] = []
    for text in texts:
        for pattern in (RMA_MENTION, HASH_MENTION):
            for digits in pattern.findall(text or ""):
                number = rma_for(int(digits))
                if int(digits) and number not in found:
                    found.append(number)
    return found


def _same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _by_thread(message: EmailMessage) -> ReturnRequest | None:
    ids = MESSAGE_ID.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    if not ids:
        return None
    ours = OutboundEmail.objects.filter(message_id__in=ids).exclude(return_request=None)
    email = ours.select_related("return_request").order_by("-created_at").first()
    return email.return_request if email else None


def _by_mention(sender: str, texts: tuple[str, ...]) -> Match | None:
    numbers = rma_numbers_in(*texts)
    if not numbers:
        return None
    found = {rr.rma_number: rr for rr in ReturnRequest.objects.filter(rma_number__in=numbers)}
    named = [found[n] for n in numbers if n in found]
    if not named:
        return None
    own = next((rr for rr in named if _same_address(rr.email, sender)), None)
    if own is not None:
        return Match(own, f"names {own.rma_number}")
    return Match(None, f"names {named[0].rma_number}, but comes from {sender}, not the return's customer")


def _by_sender(sender: str) -> Match:
    open_returns = list(
        ReturnRequest.objects.filter(email__iexact=sender, status__in=OPEN_STATUSES)
        .order_by("-created_at")
        .values_list("pk", "rma_number")[:6]
    )
    if len(open_returns) == 1:
        return Match(ReturnRequest.objects.get(pk=open_returns[0][0]), "the sender's only open return")
    if open_returns:
        numbers = ", ".join(n for _, n in open_returns[:5])
        return Match(None, f"no RMA named; the sender has {len(open_returns)} open returns ({numbers})")
    return Match(None, "no return matched")


def match_return(*, message: EmailMessage, sender: str, new_text: str, whole_text: str) -> Match:
    """The return this email belongs to, or None with the reason a person should read."""
    rr = _by_thread(message)
    if rr is not None:
        if _same_address(rr.email, sender):
            return Match(rr, "answers our email")
        return Match(None, f"answers our email about {rr.rma_number}, but comes from {sender}, not its customer")
    named = _by_mention(sender, (message.get("Subject", ""), new_text, whole_text))
    if named is not None:
        return named
    return _by_sender(sender)
