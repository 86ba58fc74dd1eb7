"""Canned responses: one greeting in what the customer gets, whoever writes it; checked when saved; previewed
against a real ticket, with htmx and without."""

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from returns_desk.core.actors import Actor
from returns_desk.demo.shop.canned import CANNED_RESPONSES, ensure_canned_responses
from returns_desk.desk.canned import GREETINGS, opens_with_greeting
from returns_desk.desk.models import CannedResponse
from returns_desk.notifications.models import OutboundEmail
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.factories import return_in_state

pytestmark = pytest.mark.django_db

GREETING_LINE = ("hello", "hi", "hey", "dear", "greetings", "good morning", "good afternoon", "good evening")


def greetings_in(text: str) -> list[str]:
    """The lines of an email that greet the customer."""
    return [line for line in text.splitlines() if line.strip().lower().startswith(GREETING_LINE)]


def customer_named(name: str, status: str = "requested") -> ReturnRequest:
    rr = return_in_state(status)
    ReturnRequest.objects.filter(pk=rr.pk).update(customer_name=name)
    rr.refresh_from_db()
    return rr


def sent_to_customer(rr: ReturnRequest, kind: str = "desk_message") -> OutboundEmail:
    return OutboundEmail.objects.filter(return_request=rr, kind=kind).order_by("-id").first()


def test_a_canned_reply_inserted_and_sent_reaches_the_customer_with_one_greeting(client, agent):
    rr = customer_named("Ines Haddad")
    canned = CannedResponse(title="Thanks", body="Thank you for {rma}; we will reply {timeframe}.")
    canned.full_clean()
    canned.save()
    client.force_login(agent)
    page = client.get(f"{rr.get_absolute_url()}?canned={canned.pk}").content.decode()
    text = f"Thank you for {rr.rma_number}; we will reply within one working day."
    assert f"{text}</textarea>" in page
    client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "reply", "body": text, "canned": canned.pk})
    email = sent_to_customer(rr)
    assert greetings_in(email.text_body) == ["Hello Ines Haddad,"]
    assert email.text_body.startswith(f"Hello Ines Haddad,\n\n{text}\n")
    assert email.html_body.count("Hello Ines Haddad,") == 1


@pytest.mark.parametrize("opening", sorted(GREETINGS))
def test_a_reply_the_va_opens_with_a_greeting_is_not_greeted_twice(opening, agent):
    # The email template and `GREETINGS` name the same words: every one is recognised by both.
    rr = customer_named("Ines Haddad")
    body = f"{opening.title()} Ines,\n\nYour label is on your return's page."
    assert opens_with_greeting(body)
    services.return_add_message(return_request=rr, by=Actor.staff(agent), body=body)
    email = sent_to_customer(rr)
    assert greetings_in(email.text_body) == [f"{opening.title()} Ines,"]
    assert "Hello Ines Haddad" not in email.html_body


def test_the_plain_text_email_shows_the_message_as_typed_not_html_escaped(agent):
    rr = customer_named("Siobhan O'Neill")
    services.return_add_message(return_request=rr, by=Actor.staff(agent), body="We'll send it <today> & tomorrow.")
    email = sent_to_customer(rr)
    assert "Hello Siobhan O'Neill,\n\nWe'll send it <today> & tomorrow." in email.text_body
    assert "We&#x27;ll send it &lt;today&gt; &amp; tomorrow." in email.html_body


@pytest.mark.parametrize(
    ("body", "greets"),
    [
        ("Hi {first_name}, thanks.", True),
        ("hello!", True),
        ("Dear customer", True),
        ("Good morning, Ines", True),
        ("Good news: your refund is on its way.", False),
        ("His parcel arrived.", False),
        ("Thanks for {rma}.", False),
        ("", False),
    ],
)
def test_a_greeting_is_recognised_by_its_opening_words_only(body, greets):
    assert opens_with_greeting(body) is greets
    rendered = render_to_string(
        "email/desk_message/greeting.txt", {"rr": {"customer_name": "Ines"}, "event": {"body": body}}
    )
    assert (rendered == "") is greets


def test_a_canned_response_that_greets_or_names_an_unknown_placeholder_is_refused_when_saved():
    canned = CannedResponse(title="Hi", body="Hi {first_name}, about {rma}.")
    with pytest.raises(ValidationError, match="Leave out the greeting"):
        canned.full_clean()
    canned.body = "About {rmaa}."
    with pytest.raises(ValidationError, match="Unknown placeholder"):
        canned.full_clean()
    canned.body = "About {rma}, {first_name}."
    canned.full_clean()


def test_managers_are_told_in_the_admin_to_leave_the_greeting_out(client, manager):
    client.force_login(manager)
    response = client.post(
        "/admin/desk/cannedresponse/add/",
        {"title": "Hello", "body": "Hello {first_name}, about {rma}.", "action": "", "is_active": "on", "position": 0},
    )
    assert "Leave out the greeting" in response.content.decode()
    assert not CannedResponse.objects.exists()


def test_a_va_previews_a_canned_response_with_the_tickets_values_without_javascript(client, agent):
    rr = customer_named("Ines Haddad", "refund_pending")
    canned = CannedResponse.objects.create(title="Refund", body="Your refund of {refund_amount} for {rma} is sent.")
    client.force_login(agent)
    ticket = client.get(rr.get_absolute_url()).content.decode()
    assert f'formaction="/desk/returns/{rr.pk}/canned-preview/"' in ticket
    page = client.get(f"/desk/returns/{rr.pk}/canned-preview/", {"canned": canned.pk})
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        "<html" in text
        and f"Hello Ines Haddad,\n\nYour refund of {rr.refund_amount_display} for {rr.rma_number}" in text
    )
    assert f'href="{rr.get_absolute_url()}?canned={canned.pk}#composer">Insert into the reply' in text
    assert not rr.events.filter(kind="message").exists()  # a preview sends nothing


def test_the_preview_comes_as_a_fragment_for_htmx_and_shows_the_email_the_action_sends(client, agent):
    rr = customer_named("Ines Haddad")
    question = CannedResponse.objects.create(
        title="Photos", body="Could you send photos for {rma}?", action=CannedResponse.Action.REQUEST_INFO
    )
    refusal = CannedResponse.objects.create(
        title="Worn", body="The item has been worn.", action=CannedResponse.Action.REJECT
    )
    client.force_login(agent)
    url = f"/desk/returns/{rr.pk}/canned-preview/"
    fragment = client.get(url, {"canned": question.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="canned-preview"' in fragment
    assert f"we need to know:\n\nCould you send photos for {rr.rma_number}?" in fragment
    assert fragment.count("Hello Ines Haddad,") == 1
    rejected = client.get(url, {"canned": refusal.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "Why: The item has been worn." in rejected
    rr.refresh_from_db()
    assert rr.status == "requested" and rr.rejection_reason == ""


def test_the_preview_shows_what_the_customer_typed_as_text(client, agent):
    rr = customer_named("<b>Ines</b>")
    canned = CannedResponse.objects.create(title="Thanks", body="Thanks for {rma}.")
    client.force_login(agent)
    page = client.get(f"/desk/returns/{rr.pk}/canned-preview/", {"canned": canned.pk}).content.decode()
    assert "Hello &lt;b&gt;Ines&lt;/b&gt;," in page and "<b>Ines" not in page


def test_the_preview_refuses_what_it_cannot_show(client, agent, outsider):
    rr = return_in_state("requested")
    hidden = CannedResponse.objects.create(title="Old", body="Old text.", is_active=False)
    client.force_login(agent)
    url = f"/desk/returns/{rr.pk}/canned-preview/"
    assert client.get(url).status_code == 404
    assert client.get(url, {"canned": "x"}).status_code == 404
    assert client.get(url, {"canned": hidden.pk}).status_code == 404
    client.force_login(outsider)
    assert client.get(url, {"canned": hidden.pk}).status_code == 403


def test_the_demo_ships_its_canned_responses_once_each_and_all_pass_the_checks(reference_data):
    assert ensure_canned_responses() == len(CANNED_RESPONSES) == 6
    titles = list(CannedResponse.objects.values_list("title", flat=True))
    assert titles == [title for title, _, _ in CANNED_RESPONSES]
    assert ensure_canned_responses() == 0
    CannedResponse.objects.filter(title="Acknowledgement").update(body="Edited by a manager.")
    CannedResponse.objects.filter(title="Exchange shipped").delete()
    assert ensure_canned_responses() == 1
    assert CannedResponse.objects.get(title="Acknowledgement").body == "Edited by a manager."
    for canned in CannedResponse.objects.all():
        canned.full_clean()
