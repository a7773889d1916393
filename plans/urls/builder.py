"""The plan page and the changes made on it, under /p/<practice>/plans/."""

from django.urls import path

from plans.views import builder as views

app_name = "plans"

_plan = "<uuid:plan_id>/"
_option = f"{_plan}options/<uuid:option_id>/"
_phase = f"{_plan}phases/<uuid:phase_id>/"
_procedure = f"{_plan}procedures/<uuid:procedure_id>/"

urlpatterns = [
    path("new/<uuid:patient_id>/", views.plan_create, name="create"),
    path("codes/", views.code_search, name="code_search"),
    path(_plan, views.plan_detail, name="detail"),
    path(f"{_plan}edit/", views.plan_update, name="update"),
    path(f"{_plan}diagnose/", views.plan_diagnose, name="diagnose"),
    path(f"{_plan}close/", views.plan_close, name="close"),
    path(f"{_plan}reopen/", views.plan_reopen, name="reopen"),
    path(f"{_plan}present/", views.plan_present, name="present"),
    path(f"{_plan}options/add/", views.option_add, name="option_add"),
    path(f"{_option}rename/", views.option_rename, name="option_rename"),
    path(f"{_option}recommend/", views.option_recommend, name="option_recommend"),
    path(f"{_option}move/", views.option_move, name="option_move"),
    path(f"{_option}remove/", views.option_remove, name="option_remove"),
    path(f"{_option}accept/", views.option_accept, name="option_accept"),
    path(f"{_option}split/", views.option_split, name="option_split"),
    path(f"{_option}phases/add/", views.phase_add, name="phase_add"),
    path(f"{_option}procedures/add/", views.procedure_add, name="procedure_add"),
    path(f"{_phase}rename/", views.phase_rename, name="phase_rename"),
    path(f"{_phase}remove/", views.phase_remove, name="phase_remove"),
    path(f"{_phase}benefit-year/", views.phase_benefit_year, name="phase_benefit_year"),
    path(f"{_phase}wait/", views.phase_wait, name="phase_wait"),
    path(f"{_procedure}edit/", views.procedure_edit, name="procedure_edit"),
    path(f"{_procedure}remove/", views.procedure_remove, name="procedure_remove"),
    path(f"{_procedure}decide/", views.procedure_decide, name="procedure_decide"),
    path(f"{_procedure}complete/", views.procedure_complete, name="procedure_complete"),
]
