"""Load the Lakeside Dental demo (two locations, staff in every role) and print the logins."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from coordinator import demo


class Command(BaseCommand):
    help = (
        "Load the demo organization through the practice import and give its staff the demo "
        "password and authenticator. Development only (DEBUG): it sets known passwords. "
        "Safe to run again: nothing changes the second time."
    )

    def handle(self, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "load_demo sets known passwords, so it runs only with DJANGO_DEBUG=true "
                "(development)."
            )
        outcome = demo.load()
        slugs = ", ".join(location["slug"] for location in demo.LOCATIONS)
        changes = (
            f"{outcome.created} records created, {outcome.updated} updated"
            if outcome.created or outcome.updated
            else "nothing changed"
        )
        self.stdout.write(
            f"Demo data: {demo.ORGANIZATION['name']} ({slugs}), {outcome.patients} patients; "
            f"{changes}."
        )
        self.stdout.write(
            f"Sign in at http://127.0.0.1:8000{reverse('login')} with password {demo.PASSWORD}"
        )
        width = max(len(user.email) for user, _m, _c in outcome.logins)
        for user, memberships, needs_code in outcome.logins:
            roles = "; ".join(
                f"{m.get_role_display().lower()} at {m.practice.slug}" for m in memberships
            )
            code = "  (needs a code)" if needs_code else ""
            self.stdout.write(f"  {user.email:<{width}}  {roles}{code}")
        self.stdout.write(
            "A code: `python manage.py demo_totp EMAIL` prints the current one, or add the key "
            f"{demo.TOTP_SECRET} to an authenticator app. Each code works once."
        )
