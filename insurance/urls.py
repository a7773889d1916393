"""Insurance pages, under /p/<practice>/insurance/."""

from django.urls import path

from insurance.views import benefits, carriers, fees, group_plans

PLAN = "plans/<uuid:plan_id>/"
FEES = f"{PLAN}fees/<str:schedule>/"

app_name = "insurance"
urlpatterns = [
    path("", group_plans.group_plan_list, name="plans"),
    path("plans/new/", group_plans.group_plan_create, name="plan_create"),
    path(PLAN, group_plans.group_plan_detail, name="plan_detail"),
    path(f"{PLAN}edit/", group_plans.group_plan_edit, name="plan_edit"),
    path(f"{PLAN}copy/", group_plans.group_plan_copy, name="plan_copy"),
    path(f"{PLAN}benefits/new/<str:kind>/", benefits.benefit_create, name="benefit_create"),
    path(f"{PLAN}benefits/<uuid:benefit_id>/", benefits.benefit_edit, name="benefit_edit"),
    path(
        f"{PLAN}benefits/<uuid:benefit_id>/delete/",
        benefits.benefit_delete,
        name="benefit_delete",
    ),
    path(f"{PLAN}downgrades/new/", benefits.downgrade_create, name="downgrade_create"),
    path(
        f"{PLAN}downgrades/<uuid:rule_id>/delete/",
        benefits.downgrade_delete,
        name="downgrade_delete",
    ),
    path(FEES, fees.fee_set, name="fee_set"),
    path(f"{FEES}clear/", fees.fee_clear, name="fee_clear"),
    path(f"{FEES}export/", fees.fee_export, name="fee_export"),
    path(f"{FEES}import/", fees.fee_import, name="fee_import"),
    path(f"{FEES}import/preview/", fees.fee_import_preview, name="fee_import_preview"),
    path("carriers/", carriers.carrier_list, name="carriers"),
    path("carriers/new/", carriers.carrier_create, name="carrier_create"),
    path("carriers/<uuid:carrier_id>/edit/", carriers.carrier_edit, name="carrier_edit"),
]
