"""Start-up checks of the wiring (run by `manage.py check`, `migrate` and `runserver`; the compose `migrate`
service runs them before web, worker and beat start)."""
from __future__ import annotations

from django.core import checks

from . import events


@checks.register()
def events_have_subscribers(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """events.E001: a required domain event nobody subscribes to (a lost subscribe() line would silently stop,
    for example, re-screening after vendor edits)."""
    return [
        checks.Error(f"No subscriber for the domain event {event_type.__name__}.",
                     hint="Subscribe in the consuming app's AppConfig.ready() (apps.common.events.subscribe).",
                     obj=event_type.__qualname__, id="events.E001")
        for event_type in events.event_types()
        if event_type.required and not events.subscribers(event_type)
    ]


@checks.register()
def fanout_needs_result_backend(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """celery.E001: WORK_FANOUT without a result backend (a chord's final step is joined from the parts' stored
    results: without one, fanned-out runs would never finish)."""
    from django.conf import settings

    if getattr(settings, "WORK_FANOUT", False) and not getattr(settings, "CELERY_RESULT_BACKEND", None):
        return [checks.Error("WORK_FANOUT is on but no CELERY_RESULT_BACKEND is configured.",
                             hint="Set CELERY_RESULT_BACKEND (the Redis broker's URL works), or WORK_FANOUT=false "
                                  "to run full re-screens, evaluations and projections in one task each.",
                             id="celery.E001")]
    return []
