"""Roles a staff member holds in a practice, and what each role may do there."""

from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Treatment coordinator"
    DENTIST = "dentist", "Dentist"
    FRONT_DESK = "front_desk", "Front desk"
    OFFICE_MANAGER = "office_manager", "Office manager"
    OWNER = "owner", "Owner"


class Capability(models.TextChoices):
    PATIENTS_VIEW = "patients.view", "See patients"
    PATIENTS_EDIT = "patients.edit", "Create and change patients"
    PATIENTS_EXPORT = "patients.export", "Export patient lists"
    PLANS_VIEW = "plans.view", "See treatment plans"
    PLANS_EDIT = "plans.edit", "Diagnose: create and change plans, options, procedures and fees"
    PLANS_PRESENT = "plans.present", "Record presentations"
    PLANS_DECIDE = "plans.decide", "Record patients' decisions"
    PLANS_COMPLETE = "plans.complete", "Record completed work"
    CATALOG_MANAGE = "catalog.manage", "Keep the procedure catalog and its fees"
    INSURANCE_VIEW = "insurance.view", "See insurance and estimates"
    INSURANCE_EDIT = "insurance.edit", "Keep patients' coverage, history and verifications"
    INSURANCE_MANAGE = "insurance.manage", "Keep carriers, group plans, benefits and fee schedules"
    AUDIT_VIEW = "audit.view", "Read access history"
    PRACTICE_SETTINGS = "practice.settings", "Change practice settings"
    FOLLOW_UPS_WORK = "follow_ups.work", "Work the follow-up queue"
    FOLLOW_UPS_MANAGE = "follow_ups.manage", "Set up cadences and reassign follow-ups"
    METRICS_VIEW = "metrics.view", "See the practice's figures"
    METRICS_GOALS = "metrics.goals", "Set the practice's goals"


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset(
        {
            Capability.PATIENTS_VIEW,
            Capability.PATIENTS_EDIT,
            Capability.PLANS_VIEW,
            Capability.PLANS_EDIT,
            Capability.PLANS_PRESENT,
            Capability.PLANS_DECIDE,
            Capability.PLANS_COMPLETE,
            Capability.INSURANCE_VIEW,
            Capability.INSURANCE_EDIT,
            # In small offices the treatment coordinator is the one who calls payers and keeps
            # group plans current, and the estimates they present depend on it.
            Capability.INSURANCE_MANAGE,
            Capability.FOLLOW_UPS_WORK,
        }
    ),
    # Dentists diagnose and record their work; the patient's decisions are the coordinator's.
    Role.DENTIST: frozenset(
        {
            Capability.PATIENTS_VIEW,
            Capability.PLANS_VIEW,
            Capability.PLANS_EDIT,
            Capability.PLANS_COMPLETE,
            Capability.INSURANCE_VIEW,
        }
    ),
    # The front desk verifies eligibility and records coverage; a group plan's benefits are
    # shared by every patient of that employer group, so changing them is left to fewer hands.
    Role.FRONT_DESK: frozenset(
        {
            Capability.PATIENTS_VIEW,
            Capability.PATIENTS_EDIT,
            Capability.PLANS_VIEW,
            Capability.INSURANCE_VIEW,
            Capability.INSURANCE_EDIT,
            # Follow-up calls: the front desk often makes them; decisions stay with coordinators.
            Capability.FOLLOW_UPS_WORK,
        }
    ),
    Role.OFFICE_MANAGER: frozenset(Capability),
    Role.OWNER: frozenset(Capability),
}

# Roles that must always pass a second factor; a practice setting extends this to everyone.
ROLES_REQUIRING_MFA = frozenset({Role.OFFICE_MANAGER, Role.OWNER})


def role_can(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
