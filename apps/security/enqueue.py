"""Enqueueing tasks so that a down broker never breaks a request or loses committed work.

    from apps.security.enqueue import enqueue_on_commit
    enqueue_on_commit(list_refresh_task, source.pk)                 # instead of on_commit(lambda: t.delay(...))
    enqueue_on_commit("lists.refresh", source.pk, countdown=5)     # by registered name, with apply_async options

After the surrounding transaction commits, the task is sent to the broker. If the broker does not answer
(Redis stopped, network cut), the request carries on; the task is written to the outbox table
(apps.security.models.OutboxJob) and the periodic `security.outbox_flush` task sends it once the broker is back.
Tasks must therefore be idempotent (they are, by convention: they take ids and call idempotent services).
"""
from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger("vendorrisk.tasks")

# A short publish retry: a request must not hang on a dead broker.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def celery_app():
    """The Celery app tasks are sent with (one place, so tests can point it at another broker)."""
    from vendorrisk.celery import app

    return app


def _task_name(task: Any) -> str:
    return task if isinstance(task, str) else task.name


def _registered(name: str):
    """The task registered under `name`. A web process imports task modules lazily (the worker imports them
    at start), so the first lookup runs Celery's autodiscovery; an unknown name raises NotRegistered."""
    app = celery_app()
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def enqueue_now(task: Any, *args: Any, **options: Any) -> bool:
    """Send now; on a broker error keep the task in the outbox. Returns True if the broker took it.

    `options` are apply_async options (countdown, queue...) plus `kwargs` for the task's keyword arguments."""
    name = _task_name(task)
    kwargs = options.pop("kwargs", None) or {}
    try:
        celery_app().send_task(name, args=list(args), kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY,
                      **options)
        return True
    except Exception as exc:  # noqa: BLE001 - kombu/redis/socket errors vary by transport
        from apps.security.services import outbox_job_create

        logger.warning("broker unavailable, task %s kept in the outbox: %s", name, exc)
        try:
            outbox_job_create(task_name=name, args=list(args), kwargs=kwargs, error=str(exc))
        except Exception:  # noqa: BLE001 - database down too: nothing more we can do than say so
            logger.exception("could not keep task %s in the outbox", name)
        return False


def enqueue_on_commit(task: Any, *args: Any, **options: Any) -> None:
    """Send the task after the current transaction commits (or now, outside a transaction), never raising
    because of the broker."""
    from django.conf import settings

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # Eager (tests, a demo without a worker): run the registered task itself; an unknown name raises here.
        task = _registered(task) if isinstance(task, str) else task
        kwargs = options.pop("kwargs", None) or {}
        transaction.on_commit(lambda: task.apply(args=list(args), kwargs=kwargs))
        return
    transaction.on_commit(lambda: enqueue_now(task, *args, **options))


def fan_out(parts: list[tuple[str, dict]], final: tuple[str, dict], *, on_error: tuple[str, dict]) -> str:
    """Run `parts` (registered task names with their keyword arguments) in parallel on the workers that consume
    their queues, then `final` with the list of their results as its first argument: a Celery chord. When a
    part fails (after its retries), `final` does not run and `on_error` is sent with the failed task's id, so
    the run it belongs to is marked failed rather than left running. Returns the chord's id.

    Needs a result backend (the parts' results are joined there): WORK_FANOUT is the explicit switch, and the
    system check `celery.E001` refuses it without one. Sent now (the caller is a task, past its commit);
    a broker error raises, and the calling task retries."""
    from celery import chord, group
    from django.conf import settings

    eager = getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    if not settings.WORK_FANOUT or not (eager or settings.CELERY_RESULT_BACKEND):
        raise RuntimeError("fan_out needs WORK_FANOUT and a CELERY_RESULT_BACKEND")
    app = celery_app()
    for name in {n for n, _ in parts} | {final[0], on_error[0]}:
        _registered(name)  # an unknown name raises here, before anything is sent
    if eager:
        # Eager (tests, a demo without a worker): the parts, then the final step, here and now; a failure sends
        # the errback its way and raises.
        results = []
        for name, kwargs in parts:
            part = _registered(name).apply(kwargs=kwargs)
            if part.failed():
                _registered(on_error[0]).apply(args=[part.id], kwargs=on_error[1])
                part.get()  # raises the part's error
            results.append(part.result)
        done = _registered(final[0]).apply(args=[results], kwargs=final[1])
        done.get()  # raises the final step's error
        return done.id
    router = app.amqp.router

    def routed(name: str, kwargs: dict):
        # The queue is decided here, by this process's routes: the final step and the errback are sent later by
        # the worker that finishes the last part, and must reach the same queues whatever that worker's defaults.
        return app.signature(name, kwargs=kwargs, queue=router.route({}, name)["queue"].name)

    header = group(routed(name, kwargs) for name, kwargs in parts)
    body = routed(*final)
    body.link_error(routed(*on_error))
    return chord(header, app=app)(body).id
