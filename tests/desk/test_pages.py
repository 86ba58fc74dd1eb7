"""The staff pages: who may see them, what they show, and queries that do not grow with the data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from returns_desk.core.actors import Actor
from returns_desk.returns import services
from tests.factories import return_in_state


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_people_off_the_desk_are_refused_with_a_reason(client, outsider):
    rr = return_in_state("requested")
    client.force_login(outsider)
    response = client.get(rr.get_absolute_url())
    assert response.status_code == 403
    assert b"This page is for the returns desk" in response.content


def test_login_page_logs_an_agent_in(client, agent):
    page = client.get("/accounts/login/")
    assert b'<label for="id_username">Username' in page.content
    response = client.post("/accounts/login/", {"username": "ana", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    wrong = client.post("/accounts/login/", {"username": "ana", "password": "nope"})
    assert b"Please enter a correct username and password" in wrong.content
    assert b'value="ana"' in wrong.content  # what was typed is kept


def test_ticket_page_shows_the_return_and_its_timeline(client, agent):
    rr = return_in_state("requested")
    services.return_request_info(return_request=rr, by=Actor.staff(agent), question="Photo of the <label>, please?")
    client.force_login(agent)
    page = client.get(rr.get_absolute_url()).content.decode()
    assert rr.rma_number in page
    assert "Waiting on customer" in page
    assert "Photo of the &lt;label&gt;, please?" in page  # customer-facing text is escaped
    assert "Mark information received" in page  # the actions this agent may run now
    assert 'href="/desk/"' in page  # a way back


def ticket_queries(client, rr) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(rr.get_absolute_url()).status_code == 200
    return len(queries)


def test_ticket_page_queries_do_not_grow_with_the_timeline(client, agent):
    client.force_login(agent)
    short = return_in_state("requested")
    long = return_in_state("requested")
    for n in range(25):
        services.return_add_note(return_request=long, by=Actor.staff(agent), body=f"note {n}")
        services.return_add_message(return_request=long, by=Actor.customer(), body=f"message {n}")
    assert ticket_queries(client, long) == ticket_queries(client, short)
    assert ticket_queries(client, long) <= 25


def test_desk_list_queries_do_not_grow_with_the_rows(client, agent, django_assert_max_num_queries):
    client.force_login(agent)
    return_in_state("requested")
    with CaptureQueriesContext(connection) as few:
        client.get("/desk/?queue=all")
    for state in ["approved", "received", "inspected"] * 10:
        return_in_state(state)
    with django_assert_max_num_queries(len(few)):
        page = client.get("/desk/?queue=all")
    assert page.content.decode().count('class="badge status-') == 31


def test_ticket_of_an_unknown_return_is_a_404(client, agent):
    client.force_login(agent)
    assert client.get("/desk/returns/999999/").status_code == 404


@pytest.mark.parametrize("path", ["/desk/", "/accounts/login/"])
def test_pages_fit_a_phone(client, agent, path):
    client.force_login(agent)
    assert b'name="viewport" content="width=device-width, initial-scale=1"' in client.get(path).content


def test_actions_completed_by_their_own_form_are_offered(client, agent):
    rr = return_in_state("received")
    client.force_login(agent)
    assert "Record inspection" in client.get(rr.get_absolute_url()).content.decode()
