"""Default periodic tasks. `manage.py setup_schedules` creates the missing ones in django-celery-beat's
tables; after that admins edit them in the admin (interval, enabled), and setup never overwrites them.

Each entry: (name, task path, crontab dict, kwargs). Apps add their own entries here.
"""
DEFAULT_SCHEDULES: list[tuple[str, str, dict[str, str], dict]] = []

# --- lists --- (an hourly dispatcher; each source's own interval is ListSource.refresh_interval_hours)
DEFAULT_SCHEDULES += [
    ("lists: refresh due sources", "apps.lists.tasks.refresh_due_list_sources", {"minute": "5"}, {}),
    ("lists: stale source alerts", "apps.lists.tasks.check_list_freshness", {"minute": "35"}, {}),
    ("lists: re-send lost queued refreshes", "apps.lists.tasks.recover_queued_runs", {"minute": "*/2"}, {}),
]

# --- security --- (re-send tasks the broker refused while it was down; purge expired rate-limit counters)
DEFAULT_SCHEDULES += [
    ("security: outbox flush", "security.outbox_flush", {"minute": "*"}, {}),
]

# --- screening --- (nightly full re-screen; equipment status catch-up for equipment added since)
DEFAULT_SCHEDULES += [
    ("screening: nightly full run", "apps.screening.tasks.screen_all", {"minute": "30", "hour": "2"},
     {"trigger": "nightly"}),
    ("screening: equipment risk catch-up", "apps.screening.tasks.refresh_equipment_risk", {"minute": "*/15"}, {}),
]

# --- inventory --- (nightly repair of the per-site equipment tally; the application keeps it current itself)
DEFAULT_SCHEDULES += [
    ("inventory: recount equipment", "apps.inventory.tasks.recount_equipment", {"minute": "0", "hour": "3"}, {}),
]

# --- remediation --- (daily: expire waivers, flag overdue plans, send the digests; idempotent per org/day/item)
DEFAULT_SCHEDULES += [
    ("remediation: daily overdue and digest", "apps.remediation.tasks.remediation_daily_task",
     {"minute": "15", "hour": "6"}, {}),
    # today's digests whose send failed after the daily task's retries (mail server down for longer)
    ("remediation: resend failed digests", "apps.remediation.tasks.remediation_digest_retry_task",
     {"minute": "45"}, {}),
]

# --- outreach --- (data calls: overdue reminders with a new link, re-requests before a representation expires)
DEFAULT_SCHEDULES += [
    ("outreach: data call reminders and re-requests", "apps.outreach.tasks.outreach_daily_task",
     {"minute": "25", "hour": "6"}, {}),
]

# --- integrations --- (re-queue webhook deliveries whose retry message was lost; same webhook-id)
DEFAULT_SCHEDULES += [
    ("integrations: re-queue lost webhook deliveries", "apps.integrations.tasks.webhook_recover_task",
     {"minute": "*/10"}, {}),
]

# --- audit --- (a signed checkpoint of the chain head outside the database: catches events deleted from the end)
DEFAULT_SCHEDULES += [
    ("audit: chain checkpoint", "audit.checkpoint", {"minute": "50"}, {}),
]
