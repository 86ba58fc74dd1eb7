import pytest

from returns_desk.payments import gateway
from tests.conftest import require
from tests.support import stripe as fake


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    with fake.localstripe(tmp_path_factory.mktemp("localstripe")) as url:
        require(url is not None, "localstripe did not start (is it installed?)")
        yield url


@pytest.fixture
def stripe_on(settings, localstripe_url):
    """Refunds go through the real Stripe client to localstripe; webhooks are signed with a test secret."""
    settings.STRIPE_SECRET_KEY = "sk_test_returns_desk"
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_WEBHOOK_SECRET = fake.WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 2.0
    return localstripe_url


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = fake.WEBHOOK_SECRET
    return fake.WEBHOOK_SECRET


def stripe_payment(amount: int, currency: str = "usd") -> str:
    """A PaymentIntent created and confirmed with a test card at the Stripe server in use; returns its id."""
    intent = gateway.client().v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "payment_method_types": ["card"],
        }
    )
    assert intent.status == "succeeded"
    return intent.id


def stripe_refunds(payment_intent: str) -> list[dict]:
    return [r.to_dict() for r in gateway.client().v1.refunds.list(params={"payment_intent": payment_intent}).data]
