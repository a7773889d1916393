"""A patient's insurance pages, under /p/<practice>/patients/<patient>/insurance/."""

from django.urls import path

from insurance.views import coverage, verification

COVERAGE = "<uuid:coverage_id>/"
CHECK = f"{COVERAGE}checks/<uuid:check_id>/"

app_name = "coverage"
urlpatterns = [
    path("", coverage.coverage_page, name="page"),
    path("add/", coverage.coverage_add, name="add"),
    path(f"{COVERAGE}edit/", coverage.coverage_edit, name="edit"),
    path(f"{COVERAGE}primary/", coverage.coverage_make_primary, name="make_primary"),
    path(f"{COVERAGE}end/", coverage.coverage_end, name="end"),
    path(f"{COVERAGE}remove/", coverage.coverage_remove, name="remove"),
    path(f"{COVERAGE}history/", coverage.coverage_history, name="history"),
    path(f"{COVERAGE}history/add/", coverage.history_add, name="history_add"),
    path(
        f"{COVERAGE}history/<uuid:entry_id>/delete/",
        coverage.history_delete,
        name="history_delete",
    ),
    path(f"{COVERAGE}270/", verification.request_270, name="request_270"),
    path(f"{COVERAGE}271/", verification.import_271, name="import_271"),
    path(f"{COVERAGE}271/preview/", verification.import_271_preview, name="import_271_preview"),
    path(f"{COVERAGE}phone/", verification.phone_check, name="phone_check"),
    path(CHECK, verification.check_detail, name="check_detail"),
    path(f"{CHECK}270/", verification.check_270, name="check_270"),
]
