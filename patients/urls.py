from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("export.csv", views.patient_export, name="export"),
    path("<uuid:patient_id>/", views.patient_detail, name="detail"),
    path("<uuid:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<uuid:patient_id>/archive/", views.patient_archive, name="archive"),
    path("<uuid:patient_id>/restore/", views.patient_restore, name="restore"),
    path("<uuid:patient_id>/access/", views.patient_access_history, name="access_history"),
]
