"""What the ticket's composer starts with, so that nothing a VA types is lost.

- A reply or note posted after the session ended was kept by `staff.access.keeps_unsent`; after logging in
  again the ticket puts it back in the composer, with a notice that nothing was sent.
- The browser keeps a draft per ticket while the VA types (`static/desk/drafts.js`); once the server has sent a
  reply, the next ticket page tells the script to discard that draft.
"""

from django.urls import reverse

from returns_desk.staff.access import unsent_post

from .forms import ReplyForm

KEPT_FIELDS = ("body", "kind", "canned")
DRAFT_SENT_SESSION_KEY = "desk_draft_sent"


def ticket_page_of(pk: int) -> str:
    """Where a composer's post that met an expired session leads after logging in: its ticket."""
    return reverse("desk:ticket", args=[pk])


def composer_on_arrival(request, pk: int) -> tuple[ReplyForm | None, dict]:
    """The composer (None: the usual one) and what the page says about it, when the ticket is opened."""
    context = {"draft_sent": request.session.get(DRAFT_SENT_SESSION_KEY) == pk}
    if context["draft_sent"]:
        del request.session[DRAFT_SENT_SESSION_KEY]
    kept = unsent_post(request)
    if not kept or not kept.get("body", "").strip():
        return None, context
    kind = "note" if kept.get("kind") == "note" else "reply"
    canned = kept.get("canned", "")
    initial = {"body": kept["body"], "kind": kind, "canned": int(canned) if canned.isdigit() else None}
    return ReplyForm(initial=initial), {**context, "unsent_kind": kind}


def mark_draft_sent(request, pk: int) -> None:
    """The reply or note of this ticket went out: its browser draft may go."""
    request.session[DRAFT_SENT_SESSION_KEY] = pk
