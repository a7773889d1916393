"""The second factor: managers and owners (and everyone, if the practice asks) use TOTP."""

import re
from base64 import b32encode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordinator.models import UserSession
from tests.factories import MembershipFactory, UserFactory

SECOND_FACTOR = "/accounts/second-factor/"
PATIENTS = "/p/smile-north/patients/"


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def practice_urls(patient) -> list[str]:
    slug = patient.practice.slug
    by_patient = {"practice_slug": slug, "patient_id": patient.pk}
    return [
        reverse("practice_home", kwargs={"practice_slug": slug}),
        reverse("patients:list", kwargs={"practice_slug": slug}),
        reverse("patients:create", kwargs={"practice_slug": slug}),
        reverse("patients:export", kwargs={"practice_slug": slug}),
        reverse("patients:detail", kwargs=by_patient),
        reverse("patients:edit", kwargs=by_patient),
        reverse("patients:access_history", kwargs=by_patient),
        reverse("practice_settings", kwargs={"practice_slug": slug}),
        reverse("practice_audit", kwargs={"practice_slug": slug}),
    ]


@pytest.fixture
def password_only(login_with_password):
    """A client that passed the password step only."""

    def make(user) -> Client:
        client = Client()
        assert login_with_password(client, user.email).status_code == 302
        return client

    return make


@pytest.fixture
def new_manager(practice):
    user = UserFactory(email="nina@smile.example", name="Nina New Manager")
    MembershipFactory(user=user, practice=practice, role="office_manager")
    return user


@pytest.mark.parametrize("role", ["bob", "olivia"])
def test_managers_and_owners_reach_no_practice_page_before_the_second_factor(
    request, role, patient, password_only
):
    client = password_only(request.getfixturevalue(role))

    for url in practice_urls(patient):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"{SECOND_FACTOR}?next={url}", url
    response = client.post(reverse("patients:archive", args=[patient.practice.slug, patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(SECOND_FACTOR)
    patient.refresh_from_db()
    assert patient.archived_at is None
    assert "Gomez" not in client.get(PATIENTS, follow=True).text


def test_an_htmx_request_before_the_second_factor_gets_a_client_redirect(
    bob, patient, password_only
):
    client = password_only(bob)

    response = client.get(PATIENTS, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-results")

    assert response["HX-Redirect"] == f"{SECOND_FACTOR}?next={PATIENTS}"
    assert b"Gomez" not in response.content


def test_the_right_code_opens_the_practice(bob, patient, password_only):
    client = password_only(bob)
    key_before = client.session.session_key
    device = TOTPDevice.objects.get(user=bob)

    response = client.post(SECOND_FACTOR, {"token": current_code(device), "next": PATIENTS})

    assert response.status_code == 302
    assert response.url == PATIENTS
    assert "Gomez" in client.get(PATIENTS).text
    assert client.session.session_key != key_before
    assert not UserSession.objects.filter(session_key=key_before).exists()


def test_a_wrong_code_is_refused(bob, patient, password_only):
    client = password_only(bob)

    response = client.post(SECOND_FACTOR, {"token": "000000", "next": PATIENTS})

    assert response.status_code == 200
    assert "That code is not right" in response.text
    assert client.get(PATIENTS).status_code == 302


def test_a_code_cannot_be_used_twice(bob, patient, password_only):
    device = TOTPDevice.objects.get(user=bob)
    code = current_code(device)
    first = password_only(bob)
    assert first.post(SECOND_FACTOR, {"token": code}).status_code == 302

    second = password_only(bob)
    response = second.post(SECOND_FACTOR, {"token": code, "next": PATIENTS})

    assert "That code is not right, or it was already used." in response.text
    assert second.get(PATIENTS).status_code == 302


def _enroll(client: Client, user) -> list[str]:
    client.get(SECOND_FACTOR)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SECOND_FACTOR, {"token": current_code(device), "next": PATIENTS})
    assert "Your authenticator is set up" in response.text
    return re.findall(r"<li><code>(\w+)</code></li>", response.text)


def test_a_user_without_an_authenticator_enrolls_one(new_manager, patient, password_only):
    client = password_only(new_manager)
    assert client.get(PATIENTS).url == f"{SECOND_FACTOR}?next={PATIENTS}"

    page = client.get(f"{SECOND_FACTOR}?next={PATIENTS}")

    assert "Protect your account" in page.text
    assert re.search(r'<div class="qr"><svg[^>]*>.*</svg></div>', page.text, re.DOTALL)
    device = TOTPDevice.objects.get(user=new_manager, confirmed=False)
    assert b32encode(device.bin_key).decode() in page.text
    reloaded = client.get(SECOND_FACTOR)
    assert b32encode(device.bin_key).decode() in reloaded.text
    assert TOTPDevice.objects.filter(user=new_manager).count() == 1


def test_enrollment_refuses_a_wrong_code(new_manager, password_only):
    client = password_only(new_manager)
    client.get(SECOND_FACTOR)

    response = client.post(SECOND_FACTOR, {"token": "123456"})

    assert "That code did not match" in response.text
    assert not TOTPDevice.objects.get(user=new_manager).confirmed


def test_confirming_enrollment_shows_ten_recovery_codes_once(new_manager, patient, password_only):
    client = password_only(new_manager)

    codes = _enroll(client, new_manager)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=new_manager).confirmed
    assert "Gomez" in client.get(PATIENTS).text
    again = password_only(new_manager).get(SECOND_FACTOR)
    assert "Enter your code" in again.text
    assert not any(code in again.text for code in codes)


def test_recovery_codes_work_once_each(new_manager, patient, password_only):
    codes = _enroll(password_only(new_manager), new_manager)

    for code in codes[:2]:
        client = password_only(new_manager)
        response = client.post(SECOND_FACTOR, {"token": code, "next": PATIENTS})
        assert response.status_code == 302
        assert client.get(PATIENTS).status_code == 200

    reuse = password_only(new_manager)
    response = reuse.post(SECOND_FACTOR, {"token": codes[0], "next": PATIENTS})
    assert "That code is not right, or it was already used." in response.text
    assert reuse.get(PATIENTS).status_code == 302


def test_a_coordinator_needs_no_second_factor_by_default(alice, patient, password_only):
    assert "Gomez" in password_only(alice).get(PATIENTS).text


def test_a_practice_can_require_the_second_factor_for_all_staff(
    alice, practice, patient, password_only
):
    signed_in_before = password_only(alice)
    practice.mfa_for_all_staff = True
    practice.save()

    assert signed_in_before.get(PATIENTS).url == f"{SECOND_FACTOR}?next={PATIENTS}"
    client = password_only(alice)
    assert client.get(PATIENTS).url == f"{SECOND_FACTOR}?next={PATIENTS}"
    assert "Protect your account" in client.get(SECOND_FACTOR).text
