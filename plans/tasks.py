"""Follow-up reminders as Celery tasks: thin wrappers over `plans.reminders`, which says why."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from kombu.exceptions import KombuError

from plans import reminders


class _ReminderTask(DjangoTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """Retries used up, or the task broke: a human looks at the reminder."""
        if isinstance(exc, KombuError):
            return  # the retry could not reach the broker: the sweep enqueues it again
        reminders.reminder_fail(reminder_id=args[0], why=f"{type(exc).__name__}: {exc}")


# Idempotent (the row says whether it was sent), so acknowledged only once it ran: a worker
# killed mid-send leaves the message to be delivered again.
@shared_task(
    base=_ReminderTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(
        reminders.ReminderTemporaryError,
        SoftTimeLimitExceeded,
        OperationalError,
        InterfaceError,
    ),
    max_retries=5,
    retry_backoff=30,
    retry_backoff_max=300,
    retry_jitter=True,
    time_limit=60,
    soft_time_limit=45,
)
def send_reminder(reminder_id: str) -> str:
    return reminders.reminder_send(reminder_id=reminder_id)


@shared_task(time_limit=120, soft_time_limit=100)
def sweep_due_reminders() -> dict:
    """Beat, every minute: claim due reminders, re-enqueue stuck ones, close unanswered plans."""
    result = reminders.reminders_sweep()
    return {"claimed": result.claimed, "requeued": result.requeued, "closed": result.closed}
