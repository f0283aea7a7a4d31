"""A private Redis as the broker of this process's Celery app, restartable empty (the fault "the broker lost
its queue"). Import the `private_broker` fixture into a test module."""
from __future__ import annotations

import pytest

from tests.reliability.harness import PrivateRedis


class RestartableBroker:
    def __init__(self, redis: PrivateRedis, app):
        self.redis, self.app = redis, app

    @property
    def url(self) -> str:
        return self.redis.url

    def reset_pools(self) -> None:
        # Drop the app's references only: kombu shares pools per broker URL across apps, and closing one would
        # break later publishers to the same broker ("Acquire on closed pool").
        self.app._pool = None
        amqp = self.app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None

    def queue_length(self, queue: str = "celery") -> int:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.redis.port).llen(queue)

    def queued_tasks(self, queue: str = "celery") -> list[str]:
        """The task names of the messages waiting in `queue` (kombu's Redis transport: one JSON message per list
        item, the task name in its headers)."""
        import json

        import redis

        return [json.loads(raw)["headers"]["task"]
                for raw in redis.Redis(host="127.0.0.1", port=self.redis.port).lrange(queue, 0, -1)]

    def restart_empty(self) -> None:
        """Redis runs without persistence here: a restart loses every queued message."""
        self.redis.stop()
        self.redis.start()
        self.reset_pools()  # this process publishes on a fresh connection afterwards


@pytest.fixture
def private_broker():
    from vendorrisk.celery import app

    redis = PrivateRedis()
    redis.start()
    broker = RestartableBroker(redis, app)
    keys = ("broker_url", "CELERY_BROKER_URL", "broker_transport_options", "CELERY_BROKER_TRANSPORT_OPTIONS",
            "task_always_eager", "CELERY_TASK_ALWAYS_EAGER")
    saved = {k: app.conf[k] for k in keys if k in app.conf}
    options = {"visibility_timeout": 3600}
    app.conf.update(broker_url=redis.url, CELERY_BROKER_URL=redis.url, broker_transport_options=options,
                    CELERY_BROKER_TRANSPORT_OPTIONS=options, task_always_eager=False, CELERY_TASK_ALWAYS_EAGER=False)
    broker.reset_pools()
    try:
        yield broker
    finally:
        redis.stop()
        for key in keys:
            if key in saved:
                app.conf[key] = saved[key]
        broker.reset_pools()
