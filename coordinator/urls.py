from django.contrib.auth import views as auth_views
from django.urls import include, path

from coordinator import auth_views as accounts
from coordinator import views
from plans.views import sms_webhook

practice_patterns = [
    path("", views.practice_home, name="practice_home"),
    path("patients/", include("patients.urls")),
    path("patients/<uuid:patient_id>/insurance/", include("insurance.patient_urls")),
    path("plans/", include("plans.urls.builder")),
    path("", include("plans.urls.overview")),
    path("catalog/", include("plans.urls.catalog")),
    path("", include("plans.urls.queue")),
    path("insurance/", include("insurance.urls")),
    path("settings/", views.practice_settings, name="practice_settings"),
    path("audit/", views.practice_audit, name="practice_audit"),
    path("metrics/", include("metrics.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("accounts/second-factor/", accounts.second_factor, name="second_factor"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # The SMS provider posts patients' texts here (signed; names no practice).
    path("sms/inbound/", sms_webhook.sms_inbound, name="sms_inbound"),
    path("p/<slug:practice_slug>/", include(practice_patterns)),
]
