"""The project package and core app: settings, tenancy, staff, audit, money and PDF helpers."""

from coordinator.celery import app as celery_app

__all__ = ("celery_app",)
