import json

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.common.schedules import DEFAULT_SCHEDULES


class Command(BaseCommand):
    help = "Create the default periodic tasks that are missing (never overwrites an admin's edits)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for name, task, cron, kwargs in DEFAULT_SCHEDULES:
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            schedule, _ = CrontabSchedule.objects.get_or_create(
                minute=cron.get("minute", "0"), hour=cron.get("hour", "*"), day_of_week=cron.get("day_of_week", "*"),
                day_of_month=cron.get("day_of_month", "*"), month_of_year=cron.get("month_of_year", "*"),
                timezone="UTC",
            )
            PeriodicTask.objects.create(name=name, task=task, crontab=schedule, kwargs=json.dumps(kwargs))
            created += 1
        self.stdout.write(f"Periodic tasks: {created} created, {len(DEFAULT_SCHEDULES) - created} already present.")
