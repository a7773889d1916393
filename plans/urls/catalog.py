"""The procedure catalog, under /p/<practice>/catalog/."""

from django.urls import path

from plans.views import catalog as views

app_name = "catalog"
urlpatterns = [
    path("", views.catalog_list, name="list"),
    path("new/", views.catalog_create, name="create"),
    path("import/", views.catalog_import, name="import"),
    path("import/preview/", views.catalog_import_preview, name="import_preview"),
    path("<uuid:code_id>/edit/", views.catalog_edit, name="edit"),
    path("<uuid:code_id>/fee/", views.catalog_fee, name="fee"),
]
