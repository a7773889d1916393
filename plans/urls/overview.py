"""The coordinator's home, the plans list and frozen presentations, under /p/<practice>/.

Included at the practice root: "plans/" is the list; the plan page's own module serves
"plans/<plan>/" and "plans/new/<patient>/", which never match this list's exact path.
"""

from django.urls import path

from plans.views import overview as views

app_name = "overview"
urlpatterns = [
    path("home/", views.home, name="home"),
    path("plans/", views.plan_list, name="plans"),
    path(
        "plans/<uuid:plan_id>/presentations/<uuid:presentation_id>/",
        views.presentation_detail,
        name="presentation",
    ),
]
