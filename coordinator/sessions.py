"""Database sessions that know their user (Django's documented way to extend the store)."""

from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from coordinator.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = data.get("_auth_user_id")
        return instance
