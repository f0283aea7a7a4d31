"""Background runs of large imports. Thin: ids in, a service call; idempotent by the job's status."""
from __future__ import annotations

from celery import shared_task

from apps.common.exceptions import ApplicationError


@shared_task(acks_late=True, name="apps.web.tasks.import_job_run")
def import_job_run(job_id: int, commit: bool, actor_id: int | None = None) -> str:
    from apps.accounts.models import User

    from .models import ImportJob
    from .services import import_job_commit, import_job_validate

    job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if commit:
        if job.status == ImportJob.Status.COMMITTED:
            return "already committed"
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        try:
            import_job_commit(job=job, actor=actor)
        except ApplicationError as exc:
            return f"failed: {exc.message}"
        return "committed"
    if job.status != ImportJob.Status.VALIDATING:
        return job.status
    return import_job_validate(job=job).status
