"""The follow-up queue and the cadences that fill it, under /p/<practice>/."""

from django.urls import path

from plans.views import cadences, queue

app_name = "follow_ups"

_cadence = "cadences/<uuid:cadence_id>/"
_step = f"{_cadence}steps/<uuid:step_id>/"

urlpatterns = [
    path("queue/", queue.queue, name="queue"),
    path("queue/count/", queue.badge, name="badge"),
    path("queue/calls/<uuid:reminder_id>/outcome/", queue.call_outcome, name="call_outcome"),
    path("queue/calls/<uuid:reminder_id>/reassign/", queue.call_reassign, name="call_reassign"),
    path(
        "queue/follow-ups/<uuid:follow_up_id>/reassign/",
        queue.follow_up_reassign,
        name="follow_up_reassign",
    ),
    path("cadences/", cadences.cadence_list, name="cadences"),
    path("cadences/new/", cadences.cadence_create, name="cadence_create"),
    path(_cadence, cadences.cadence_edit, name="cadence_edit"),
    path(f"{_cadence}delete/", cadences.cadence_delete, name="cadence_delete"),
    path(f"{_cadence}active/", cadences.cadence_active, name="cadence_active"),
    path(f"{_cadence}steps/add/", cadences.step_add, name="step_add"),
    path(_step, cadences.step_edit, name="step_edit"),
    path(f"{_step}remove/", cadences.step_remove, name="step_remove"),
    path(f"{_step}move/", cadences.step_move, name="step_move"),
]
