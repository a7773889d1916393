"""Adding, changing, archiving and restoring a patient, as the front desk and coordinators do."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from patients.models import Patient
from tests.factories import PatientFactory


def _form(**overrides) -> dict:
    data = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "preferred_name": "",
        "birth_date": "04/02/1990",
        "email": "Ana.Lopez@Example.net ",
        "phone": "(312) 555-0100",
        "preferred_contact": "phone",
        "best_time": "evening",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _patients(practice) -> list[Patient]:
    with scopes_disabled():
        return list(Patient.objects.filter(practice=practice))


def _edit_form(patient: Patient, **overrides) -> dict:
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "preferred_name": patient.preferred_name,
        "birth_date": patient.birth_date.isoformat(),
        "email": patient.email,
        "phone": patient.phone,
        "preferred_contact": patient.preferred_contact,
        "best_time": patient.best_time,
    }
    for flag in ("email_consent", "sms_consent"):
        if getattr(patient, flag):
            data[flag] = "on"
    if patient.unencrypted_email_consent:
        data["unencrypted_email_consent"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _reload(patient: Patient) -> Patient:
    with scopes_disabled():
        return Patient.objects.get(pk=patient.pk)


# Creating


def test_create_normalizes_the_phone_and_opens_the_new_record(client_for, erin, practice):
    client = client_for(erin)
    response = client.post(
        reverse("patients:create", args=[practice.slug]),
        _form(preferred_contact="sms", sms_consent="on"),
    )

    [ana] = _patients(practice)
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[practice.slug, ana.pk])
    assert ana.phone == "+13125550100"
    assert ana.email == "ana.lopez@example.net"
    assert ana.birth_date == datetime.date(1990, 4, 2)
    assert ana.preferred_contact == "sms"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Ana Lopez was added." in html
    assert "(312) 555-0100" in html


@pytest.mark.parametrize("phone", ["312.555.0100", "+1 312 555 0100", "312-555-0100"])
def test_create_accepts_the_phone_in_any_format(client_for, alice, practice, phone):
    client_for(alice).post(reverse("patients:create", args=[practice.slug]), _form(phone=phone))
    assert [p.phone for p in _patients(practice)] == ["+13125550100"]


def test_create_accepts_an_iso_birth_date(client_for, alice, practice):
    client_for(alice).post(
        reverse("patients:create", args=[practice.slug]), _form(birth_date="1990-04-02")
    )
    assert [p.birth_date for p in _patients(practice)] == [datetime.date(1990, 4, 2)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ana@", "Enter a valid email address."),
        ("phone", "12", "is not a valid phone number"),
        ("phone", "call me maybe", "is not a phone number"),
        ("birth_date", "2999-01-01", "The birth date cannot be in the future."),
        ("birth_date", "31/31/1990", "Enter a valid date."),
        ("birth_date", "", "This field is required."),
        ("last_name", "", "This field is required."),
    ],
)
def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_saved(
    client_for, alice, practice, field, value, message
):
    response = client_for(alice).post(
        reverse("patients:create", args=[practice.slug]), _form(**{field: value})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    # The message sits in the field's own block, which is marked as having an error.
    field_block = html.split(f'name="{field}"')[1].split('<div class="field')[0]
    assert message in field_block
    assert 'class="field has-error' in html
    assert _patients(practice) == []


def test_a_birth_date_of_today_is_accepted(client_for, alice, practice):
    today = timezone.localdate().isoformat()
    response = client_for(alice).post(
        reverse("patients:create", args=[practice.slug]), _form(birth_date=today)
    )
    assert response.status_code == 302


def test_duplicate_name_and_birth_date_warns_before_saving(client_for, alice, practice):
    PatientFactory(
        practice=practice, first_name="Ana", last_name="Lopez", birth_date=datetime.date(1990, 4, 2)
    )
    url = reverse("patients:create", args=[practice.slug])
    client = client_for(alice)

    response = client.post(url, _form(first_name="ANA", last_name="lopez "))
    assert response.status_code == 422
    assert "This may be a patient you already have" in response.content.decode()
    assert len(_patients(practice)) == 1

    response = client.post(
        url, _form(first_name="ANA", last_name="lopez", confirm_not_duplicate="on")
    )
    assert response.status_code == 302
    assert len(_patients(practice)) == 2


def test_same_name_but_another_birth_date_is_no_duplicate(client_for, alice, practice):
    PatientFactory(
        practice=practice, first_name="Ana", last_name="Lopez", birth_date=datetime.date(1991, 4, 2)
    )
    response = client_for(alice).post(reverse("patients:create", args=[practice.slug]), _form())
    assert response.status_code == 302


def test_an_archived_patient_still_counts_as_a_possible_duplicate(client_for, alice, practice):
    PatientFactory(
        practice=practice,
        first_name="Ana",
        last_name="Lopez",
        birth_date=datetime.date(1990, 4, 2),
        archived_at=timezone.now(),
    )
    response = client_for(alice).post(reverse("patients:create", args=[practice.slug]), _form())
    assert response.status_code == 422
    assert "(archived)" in response.content.decode()


def test_another_practices_patient_is_no_duplicate(client_for, alice, practice, other_practice):
    PatientFactory(
        practice=other_practice,
        first_name="Ana",
        last_name="Lopez",
        birth_date=datetime.date(1990, 4, 2),
    )
    response = client_for(alice).post(reverse("patients:create", args=[practice.slug]), _form())
    assert response.status_code == 302


# Editing


def test_edit_changes_the_record(client_for, alice, practice, patient):
    url = reverse("patients:edit", args=[practice.slug, patient.pk])
    client = client_for(alice)
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="Maria"' in form.content.decode()

    response = client.post(url, _edit_form(patient, last_name="Gomez-Ruiz", phone="773.555.0142"))

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[practice.slug, patient.pk])
    patient = _reload(patient)
    assert patient.last_name == "Gomez-Ruiz"
    assert patient.phone == "+17735550142"
    detail = client.get(response["Location"]).content.decode()
    assert "Changes saved." in detail
    assert "(773) 555-0142" in detail


def test_saving_without_changes_says_so(client_for, alice, practice, patient):
    response = client_for(alice).post(
        reverse("patients:edit", args=[practice.slug, patient.pk]), _edit_form(patient), follow=True
    )
    assert "Nothing was changed." in response.content.decode()


def test_edit_with_an_invalid_phone_keeps_the_old_one(client_for, alice, practice, patient):
    response = client_for(alice).post(
        reverse("patients:edit", args=[practice.slug, patient.pk]),
        _edit_form(patient, phone="555"),
    )
    assert response.status_code == 422
    assert _reload(patient).phone == "+13125550100"


def test_edit_into_a_duplicate_of_another_patient_warns(client_for, alice, practice, patient):
    other = PatientFactory(practice=practice, first_name="Rosa", last_name="Diaz")
    response = client_for(alice).post(
        reverse("patients:edit", args=[practice.slug, patient.pk]),
        _edit_form(patient, first_name="rosa", last_name="DIAZ", birth_date=str(other.birth_date)),
    )
    assert response.status_code == 422
    assert "This may be a patient you already have" in response.content.decode()
    assert _reload(patient).first_name == "Maria"


# Consents


def test_email_and_sms_consent_are_recorded(client_for, alice, practice, patient):
    client_for(alice).post(
        reverse("patients:edit", args=[practice.slug, patient.pk]),
        _edit_form(patient, email_consent="on", sms_consent="on"),
    )
    patient = _reload(patient)
    assert patient.email_consent
    assert patient.sms_consent
    assert not patient.unencrypted_email_consent


def test_unencrypted_email_consent_records_when_it_was_given(client_for, alice, practice, patient):
    url = reverse("patients:edit", args=[practice.slug, patient.pk])
    client = client_for(alice)
    before = timezone.now()
    client.post(url, _edit_form(patient, email_consent="on", unencrypted_email_consent="on"))
    patient = _reload(patient)
    given = patient.unencrypted_email_consent_at
    assert given is not None
    assert before <= given <= timezone.now()
    detail = client.get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    assert f"Agreed on {given:%b} {given.day}, {given.year}" in detail.content.decode()

    # Saving again later keeps the date the patient agreed.
    client.post(url, _edit_form(patient, preferred_name="Mari"))
    assert _reload(patient).unencrypted_email_consent_at == given

    # Withdrawing it clears it.
    client.post(url, _edit_form(patient, unencrypted_email_consent=None))
    assert _reload(patient).unencrypted_email_consent_at is None


def test_unencrypted_email_consent_requires_email_consent(client_for, alice, practice, patient):
    response = client_for(alice).post(
        reverse("patients:edit", args=[practice.slug, patient.pk]),
        _edit_form(patient, unencrypted_email_consent="on"),
    )
    assert response.status_code == 422
    assert "Documents by email also need consent to email." in response.content.decode()
    assert _reload(patient).unencrypted_email_consent_at is None


def test_email_consent_needs_an_email_address(client_for, alice, practice, patient):
    response = client_for(alice).post(
        reverse("patients:edit", args=[practice.slug, patient.pk]),
        _edit_form(patient, email="", email_consent="on"),
    )
    assert response.status_code == 422
    assert "Add an email address to record email consent." in response.content.decode()
    assert _reload(patient).email == "maria.gomez@example.net"


def test_sms_consent_needs_a_phone_number(client_for, alice, practice):
    response = client_for(alice).post(
        reverse("patients:create", args=[practice.slug]), _form(phone="", sms_consent="on")
    )
    assert response.status_code == 422
    assert "Add a mobile number to record text-message consent." in response.content.decode()
    assert _patients(practice) == []


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("sms", "Texts need the patient&#x27;s consent to texts."),
        ("email", "Email needs the patient&#x27;s consent to email."),
    ],
)
def test_a_preferred_channel_needs_its_consent(client_for, alice, practice, channel, message):
    response = client_for(alice).post(
        reverse("patients:create", args=[practice.slug]), _form(preferred_contact=channel)
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _patients(practice) == []


def test_a_birth_year_before_1900_is_refused(client_for, alice, practice):
    response = client_for(alice).post(
        reverse("patients:create", args=[practice.slug]), _form(birth_date="0001-01-01")
    )
    assert response.status_code == 422
    assert "before 1900" in response.content.decode()


def test_a_long_international_phone_is_accepted(client_for, alice, practice):
    client_for(alice).post(
        reverse("patients:create", args=[practice.slug]), _form(phone="+44 (0) 20 7946 0958  ")
    )
    assert [p.phone for p in _patients(practice)] == ["+442079460958"]


# Archiving


def _list(client, practice, **params) -> str:
    return client.get(reverse("patients:list", args=[practice.slug]), params).content.decode()


def test_archive_hides_from_the_list_keeps_the_record_and_restore_brings_it_back(
    client_for, alice, practice, patient
):
    client = client_for(alice)
    response = client.post(reverse("patients:archive", args=[practice.slug, patient.pk]))
    assert response.status_code == 302

    assert "Gomez, Maria" not in _list(client, practice)
    assert "Gomez, Maria" not in _list(client, practice, q="Gom")
    assert "Gomez, Maria" in _list(client, practice, archived="1")
    assert _reload(patient).archived_at is not None
    detail = client.get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    assert detail.status_code == 200
    assert "Archived" in detail.content.decode()
    assert "Restore" in detail.content.decode()

    client.post(reverse("patients:restore", args=[practice.slug, patient.pk]))
    assert "Gomez, Maria" in _list(client, practice)
    assert "Gomez, Maria" not in _list(client, practice, archived="1")
    assert _reload(patient).archived_at is None


def test_archiving_twice_keeps_the_first_date(client_for, alice, practice, patient):
    url = reverse("patients:archive", args=[practice.slug, patient.pk])
    client = client_for(alice)
    client.post(url)
    first = _reload(patient).archived_at
    client.post(url)
    assert _reload(patient).archived_at == first


# What a dentist may do


def test_dentist_can_view_but_not_edit(client_for, dave, practice, patient):
    client = client_for(dave)
    detail = client.get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Maria Gomez" in html
    assert reverse("patients:edit", args=[practice.slug, patient.pk]) not in html
    assert "Archive" not in html
    assert "New patient" not in _list(client, practice)

    edit_url = reverse("patients:edit", args=[practice.slug, patient.pk])
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, _edit_form(patient, last_name="Changed")).status_code == 403
    archive = client.post(reverse("patients:archive", args=[practice.slug, patient.pk]))
    assert archive.status_code == 403
    create = client.post(reverse("patients:create", args=[practice.slug]), _form())
    assert create.status_code == 403

    patient = _reload(patient)
    assert patient.last_name == "Gomez"
    assert patient.archived_at is None
    assert len(_patients(practice)) == 1


def test_dates_show_in_the_practices_time_zone(client_for, alice, practice):
    # 02:00 UTC on March 5 is still the evening of March 4 in Chicago.
    agreed = datetime.datetime(2025, 3, 5, 2, 0, tzinfo=datetime.UTC)
    patient = PatientFactory(
        practice=practice, email_consent=True, unencrypted_email_consent_at=agreed
    )
    response = client_for(alice).get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    assert "Agreed on Mar 4, 2025" in response.content.decode()
