"""Order lookup limits: one client cannot guess widely, a stranger cannot lock the owner out, and the order
number is found however the customer types it."""

import datetime as dt

import pytest
from django.test import Client

from returns_desk.core.clock import frozen_at
from returns_desk.orders.selectors import order_for_customer, order_number_candidates
from tests.factories import OrderFactory

from .shop import EMAIL, build_shop

pytestmark = pytest.mark.django_db

# On a quarter hour, so a fresh 15-minute window has all of it left.
QUARTER_HOUR = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def shop(reference_data):
    return build_shop()


def client_at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def look_up(client, number="100123", email=EMAIL):
    return client.post("/returns/", {"order_number": number, "email": email})


def test_one_client_trying_many_order_and_email_pairs_is_slowed_with_the_reason_and_the_wait(shop):
    stranger = client_at("203.0.113.7")
    with frozen_at(QUARTER_HOUR):
        answers = [look_up(stranger, number=f"{200000 + n}", email=f"guess{n}@example.com") for n in range(15)]
        right_details = look_up(stranger)  # even the right ones wait now: the guesses are the client's
    assert [a.status_code for a in answers] == [400] * 10 + [429] * 5
    page = answers[10].content.decode()
    assert "Too many attempts from your connection. Please wait 15 minutes" in page
    assert "Email me a link to my orders" in page
    assert answers[10]["Retry-After"] == "900"
    assert right_details.status_code == 429
    assert "portal_return_draft" not in stranger.session


def test_the_owner_finds_their_order_from_their_own_connection_after_a_strangers_failures(shop):
    stranger = client_at("203.0.113.7")
    for n in range(30):
        look_up(stranger, email=f"guess{n}@example.com")  # the owner's order number, wrong addresses
    assert look_up(stranger).status_code == 429

    owner = look_up(client_at("198.51.100.20"))
    assert owner.status_code == 302 and owner["Location"] == "/returns/new/items/"


def test_a_slowed_client_may_look_up_again_when_its_window_ends(shop, settings):
    settings.PORTAL_LOOKUP_LIMIT = 2
    customer = client_at("203.0.113.7")
    with frozen_at(QUARTER_HOUR + dt.timedelta(minutes=11)):
        look_up(customer, number="999999")
        look_up(customer, number="999998")
        slowed = look_up(customer)
    assert slowed.status_code == 429
    assert "Please wait 4 minutes" in slowed.content.decode()
    with frozen_at(QUARTER_HOUR + dt.timedelta(minutes=15)):
        assert look_up(customer).status_code == 302


def test_lookups_that_find_the_order_are_not_counted(shop, settings):
    settings.PORTAL_LOOKUP_LIMIT = 2
    customer = client_at("203.0.113.7")
    assert [look_up(customer).status_code for _ in range(6)] == [302] * 6
    assert look_up(customer, number="999999").status_code == 400  # a typo after all that is still allowed


def test_many_clients_failing_on_one_order_pause_its_lookups_for_everyone(shop, settings):
    settings.PORTAL_LOOKUP_TARGET_LIMIT = 3
    # The same order number, typed three ways, from three places: one count.
    for n, typed in enumerate(["100123", "#100123 ", "100123"]):
        assert look_up(client_at(f"203.0.113.{n + 1}"), number=typed, email=f"guess{n}@example.com").status_code == 400
    paused = look_up(client_at("198.51.100.20"))
    assert paused.status_code == 429
    page = paused.content.decode()
    assert "Too many attempts for this order number from different places" in page
    assert "Email me a link to my orders" in page
    assert look_up(client_at("198.51.100.21"), number="100999").status_code == 400  # other orders: unaffected


def test_many_clients_guessing_numbers_for_one_address_pause_that_address(shop, settings):
    settings.PORTAL_LOOKUP_TARGET_LIMIT = 2
    for n in range(2):
        look_up(client_at(f"203.0.113.{n + 1}"), number=f"{300000 + n}")
    paused = look_up(client_at("198.51.100.20"))
    assert paused.status_code == 429
    assert "Too many attempts for this email address" in paused.content.decode()


def test_addresses_of_one_ipv6_network_count_as_one_client(shop, settings):
    settings.PORTAL_LOOKUP_LIMIT = 2
    look_up(client_at("2001:db8:1:2::a"), number="999999")
    look_up(client_at("2001:db8:1:2::b"), number="999998")
    assert look_up(client_at("2001:db8:1:2:ffff::1")).status_code == 429
    assert look_up(client_at("2001:db8:1:3::a")).status_code == 302  # the next /64 is someone else


def test_a_client_without_a_readable_address_gets_answers_not_errors(shop):
    assert look_up(client_at("")).status_code == 302
    assert look_up(client_at("not-an-address"), number="999999").status_code == 400


# --- the order number as customers type it ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["SO-100123", "100123", "so-100123", " #SO 100123 ", "SO100123", "so\u2013100123", "#100123", "1001 23"]
)
def test_the_shops_order_number_is_found_however_it_is_typed(reference_data, typed):
    order = OrderFactory(number="SO-100123", email=EMAIL)
    assert order_for_customer(number=typed, email=EMAIL.upper()) == order


@pytest.mark.parametrize("typed", ["SO-100124", "SO-100123X", "SX-100123", "###", "100123-SO"])
def test_other_numbers_do_not_find_it(reference_data, typed):
    OrderFactory(number="SO-100123", email=EMAIL)
    assert order_for_customer(number=typed, email=EMAIL) is None


def test_an_order_imported_without_the_prefix_is_still_found_by_its_digits(reference_data):
    order = OrderFactory(number="100123", email=EMAIL)
    assert order_for_customer(number="#100123", email=EMAIL) == order


def test_two_orders_whose_numbers_differ_by_the_prefix_each_open_for_their_own_address(reference_data):
    bare = OrderFactory(number="100123", email="first@example.com")
    prefixed = OrderFactory(number="SO-100123", email="second@example.com")
    assert order_for_customer(number="100123", email="first@example.com") == bare
    assert order_for_customer(number="100123", email="second@example.com") == prefixed


def test_without_a_shop_prefix_digits_are_taken_as_typed(settings):
    settings.PORTAL_ORDER_NUMBER_PREFIX = ""
    assert order_number_candidates(" #100123") == ["100123"]
    assert order_number_candidates("SO100123") == ["SO100123"]


def test_the_hint_shows_the_number_as_printed_and_says_the_digits_work_too(client, shop):
    page = client.get("/returns/").content.decode()
    assert "for example SO-100123 (typing just 100123 works too)" in page
    response = client.post("/returns/", {"order_number": "SO100123", "email": EMAIL})
    assert response.status_code == 400  # this shop's order is "100123": "SO100123" means SO-100123, not it


def test_an_order_number_of_only_symbols_is_refused_next_to_the_field(client, shop):
    response = client.post("/returns/", {"order_number": " ## ", "email": EMAIL})
    assert response.status_code == 400
    assert "Enter the order number from your order confirmation email." in response.content.decode()
