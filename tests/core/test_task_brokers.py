"""The two task brokers django-q2 is configured with: the database (default) and Redis (REDIS_URL)."""

import os

import redis
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf
from django_q.signing import SignedPackage

from tests.conftest import require

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_redis_broker_carries_a_task_there_and_back(monkeypatch):
    require(redis_answers(), f"Redis is not answering at {REDIS_URL}")
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    broker = RedisBroker(list_key="returns-desk-test")
    broker.delete_queue()
    package = SignedPackage.dumps({"id": "t1", "func": "math.floor", "args": (2.5,), "kwargs": {}})
    broker.enqueue(package)
    assert broker.queue_size() == 1
    (_, received), *_ = broker.dequeue()
    assert SignedPackage.loads(received)["args"] == (2.5,)
    broker.delete_queue()


def test_database_broker_carries_a_task_there_and_back(db, monkeypatch):
    monkeypatch.setattr(Conf, "ORM", "default")
    broker = ORM(list_key="returns-desk-test")
    package = SignedPackage.dumps({"id": "t2", "func": "math.floor", "args": (3.5,), "kwargs": {}})
    broker.enqueue(package)
    assert broker.queue_size() == 1
    (task_id, received), *_ = broker.dequeue()
    assert SignedPackage.loads(received)["args"] == (3.5,)
    broker.acknowledge(task_id)
    assert broker.queue_size() == 0
