"""A strict Content-Security-Policy on every page type, no inline script or style in what is served, and
`Cache-Control: private, no-store` on the desk and the customer's own pages."""

import re

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from returns_desk import urls as project_urls
from returns_desk.core.middleware import NoStoreMiddleware
from tests.factories import UserFactory, return_in_state

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a view failed")


# The project's URLs and a view that fails (pytest.mark.urls), for the 500 pages, with the project's handlers.
urlpatterns = [path("desk/boom/", boom), path("returns/boom/", boom), *project_urls.urlpatterns]
handler500 = "returns_desk.core.views.server_error"


def directives(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} ({response.status_code}) has no Content-Security-Policy"
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";"))}


def assert_strict(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]


# An inline script (no src), a <style> element, a style="" attribute or an on…="" handler: what the policy blocks.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def assert_nothing_inline(response) -> None:
    html = response.content.decode()
    found = INLINE.findall(html)
    assert not found, f"{response.request['PATH_INFO']} serves inline script or style: {found}"


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.force_login(agent)
    return client


def test_portal_pages_carry_the_policy_and_nothing_inline(client, reference_data):
    rr = return_in_state("approved")
    for url in (
        "/returns/",
        "/returns/orders/link/sent/",
        f"/returns/status/{rr.customer_token}/",
        "/returns/orders/not-a-real-link/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        assert_strict(response)
        assert_nothing_inline(response)


def test_desk_pages_carry_the_policy_and_nothing_inline(agent_client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_for_the_badge"  # the "Stripe test mode" badge once had a style=""
    rr = return_in_state("requested")
    for url in ("/desk/", f"/desk/returns/{rr.pk}/", "/desk/inbox/", "/desk/store-credit/", "/desk/notices/"):
        response = agent_client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
        assert_nothing_inline(response)


def test_sign_in_and_admin_pages_carry_the_policy(client, reference_data):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_strict(response)
    assert_nothing_inline(response)
    assert_strict(client.get("/admin/login/"))  # the admin's own sign-in, or the way to the desk's
    boss = UserFactory(username="root-user", is_staff=True, is_superuser=True, groups=["Managers"])
    client.force_login(boss)
    assert_strict(client.get("/admin/"))  # whatever it answers (the page, or a second-factor step)


def test_error_pages_carry_the_policy_and_nothing_inline(agent_client, reference_data):
    for url in ("/desk/no-such-page/", "/returns/status/no-such-token/"):
        response = agent_client.get(url)
        assert response.status_code == 404, url
        assert_strict(response)
        assert_nothing_inline(response)
    csrf_checked = Client(enforce_csrf_checks=True)
    refused = csrf_checked.post("/returns/", {"order_number": "SO-1"})
    assert refused.status_code == 403
    assert_strict(refused)
    assert_nothing_inline(refused)


@pytest.mark.urls(__name__)
def test_server_error_pages_carry_the_policy_and_nothing_inline(reference_data):
    client = Client(raise_request_exception=False)
    for url in ("/desk/boom/", "/returns/boom/"):
        response = client.get(url)
        assert response.status_code == 500, url
        assert_strict(response)
        assert_nothing_inline(response)
        assert "/static/css/" in response.content.decode()  # styled from a file, not inline


def test_htmx_is_told_not_to_inject_its_indicator_styles(agent_client):
    page = agent_client.get("/desk/").content.decode()
    assert '"includeIndicatorStyles":false' in page


# --- Cache-Control -------------------------------------------------------------------------------------------


def assert_private_no_store(response) -> None:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, (response.request["PATH_INFO"], response.headers.get("Cache-Control"))


def test_the_customers_status_and_orders_pages_are_private_and_not_stored(client, reference_data):
    rr = return_in_state("approved")
    for url in (f"/returns/status/{rr.customer_token}/", "/returns/orders/not-a-real-link/", "/returns/"):
        assert_private_no_store(client.get(url))


def test_desk_pages_and_their_fragments_are_private_and_not_stored(agent_client):
    rr = return_in_state("requested")
    for url in ("/desk/", f"/desk/returns/{rr.pk}/", "/desk/notices/bell/", "/desk/inbox/"):
        assert_private_no_store(agent_client.get(url))
    redirect = agent_client.post(f"/desk/returns/{rr.pk}/claim/")
    assert redirect.status_code in (200, 302)
    assert_private_no_store(redirect)


def test_a_response_that_sets_its_own_caching_is_kept_and_made_private():
    def photo(request):
        response = HttpResponse(b"jpeg")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    response = NoStoreMiddleware(photo)(RequestFactory().get("/returns/status/t/photos/1.jpg"))
    assert response["Cache-Control"] == "max-age=3600, private"
    elsewhere = NoStoreMiddleware(photo)(RequestFactory().get("/static/css/app.css"))
    assert elsewhere["Cache-Control"] == "public, max-age=3600"
