from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("figures.csv", views.dashboard_csv, name="dashboard_csv"),
    path("cases/<slug:figure>/", views.case_list, name="cases"),
    path("cases/<slug:figure>/export.csv", views.case_list_csv, name="cases_csv"),
    path("goals/", views.goals, name="goals"),
]
