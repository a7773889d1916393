"""Stop a staff member at once: no more sign-in, every open session ends."""

from django.core.management.base import BaseCommand, CommandError

from coordinator.models import User, UserSession
from coordinator.services import user_deactivate


class Command(BaseCommand):
    help = "Deactivate a user by email and end all of their sessions now."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the user's sign-in email")

    def handle(self, *, email: str, **options) -> None:
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f'No user has the email "{email}".')
        was_active = user.is_active
        sessions = UserSession.objects.filter(user=user).count()
        user_deactivate(user=user, system_actor="command:deactivate_user")
        state = "deactivated" if was_active else "was already deactivated"
        self.stdout.write(f"{user.email} {state}; {sessions} open session(s) ended.")
