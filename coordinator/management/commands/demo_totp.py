"""Print the current authenticator code of a demo user (development only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coordinator import demo
from coordinator.models import User


class Command(BaseCommand):
    help = "Print the current 6-digit code of a demo user's authenticator (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="a demo user's email, e.g. marcus@lakesidedental.example")

    def handle(self, *, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp runs only with DJANGO_DEBUG=true (development).")
        if not User.objects.filter(email=email.strip().lower()).exists():
            raise CommandError(f'No user has the email "{email}".')
        try:
            code = demo.current_code(email)
        except LookupError:
            raise CommandError(
                f"{email} has no demo authenticator (only the demo owner and office managers "
                "do; run `python manage.py load_demo` first)."
            ) from None
        self.stdout.write(code)
