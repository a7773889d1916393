"""The Celery app; configuration comes from Django settings (CELERY_*)."""

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordinator.settings")

logger = logging.getLogger(__name__)

app = Celery("coordinator", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks that go to settings.REMINDER_QUEUE instead of the default queue.
REMINDER_TASKS = frozenset({"plans.tasks.send_reminder"})


def route_task(name, args, kwargs, options, task=None, **rest) -> dict | None:
    """CELERY_TASK_ROUTES: the queue is read when the task is sent, so tests can move it."""
    from django.conf import settings

    if name in REMINDER_TASKS:
        return {"queue": settings.REMINDER_QUEUE}
    return None


def broker_durability_problems(url: str) -> list[str]:
    """What in the Redis broker's configuration can lose queued tasks (checklist 22)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        config = {
            **client.config_get("maxmemory-policy"),
            **client.config_get("appendonly"),
            **client.config_get("appendfsync"),
        }
    except redis.RedisError as error:  # managed services may refuse CONFIG
        return [f"Could not read the Redis configuration ({error}); check it by hand."]
    problems = []
    if config.get("maxmemory-policy") != "noeviction":
        problems.append(
            f"Redis maxmemory-policy is {config.get('maxmemory-policy')!r}: a full Redis may "
            "evict queued tasks. Use noeviction."
        )
    if config.get("appendonly") != "yes" or config.get("appendfsync") not in {"everysec", "always"}:
        problems.append(
            "Redis keeps no append-only file (appendonly yes, appendfsync everysec): a crash "
            "loses the queued tasks (reminders come back through the sweep, other tasks do not)."
        )
    return problems


@worker_ready.connect
def _check_broker_durability(sender=None, **kwargs) -> None:
    url = app.conf.broker_url
    if url.startswith(("redis://", "rediss://")):
        for problem in broker_durability_problems(url):
            logger.warning(problem)


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs) -> None:
    """Around each task, what Django does around each request: drop a database connection that
    failed or outlived CONN_MAX_AGE. (Celery's own fixup would close it after every task,
    CELERY_DB_REUSE_MAX keeps that rare: a new connection per task halves the send rate.)"""
    if sender is None or getattr(sender.request, "is_eager", False):
        return  # an eager task runs inside its caller's transaction
    from django.db import close_old_connections

    close_old_connections()
