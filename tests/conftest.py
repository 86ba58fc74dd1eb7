import os

import pytest
from django.core.management import call_command
from django.db import connection

from returns_desk.demo.shop import FIXTURES
from tests.factories import UserFactory

IN_CI = os.environ.get("CI") == "true"


def require(available: bool, reason: str) -> None:
    """Skip a test whose server or browser is absent when run by hand; fail it in CI, where all must run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} — required when CI=true")
    pytest.skip(reason)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("loaddata", *FIXTURES, verbosity=0)


@pytest.fixture
def reference_data(db):
    """Groups, the default policy and reason codes; reloaded when a transactional test flushed them."""
    from returns_desk.policies.models import ReasonCode

    if not ReasonCode.objects.exists():
        call_command("loaddata", *FIXTURES, verbosity=0)


@pytest.fixture
def agent(reference_data):
    return UserFactory(username="ana", first_name="Ana", groups=["Agents"])


@pytest.fixture
def second_agent(reference_data):
    return UserFactory(username="ben", first_name="Ben", groups=["Agents"])


@pytest.fixture
def manager(reference_data):
    return UserFactory(username="morgan", first_name="Morgan", groups=["Managers"])


@pytest.fixture
def outsider(reference_data):
    """A logged-in user who is not on the desk."""
    return UserFactory(username="visitor", groups=[])


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (counts, rate limits and staff lists live there)."""
    from django.core.cache import cache

    cache.clear()
