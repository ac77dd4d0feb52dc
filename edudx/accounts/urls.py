from django.urls import path

from . import oidc_views, signup_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("signup/", signup_views.signup_start, name="signup"),
    path("signup/verify/", signup_views.signup_verify, name="signup_verify"),
    path("signup/resend/", signup_views.signup_resend, name="signup_resend"),
    path("oidc/<slug:provider>/login/", oidc_views.oidc_login, name="oidc_login"),
    path("oidc/<slug:provider>/callback/", oidc_views.oidc_callback, name="oidc_callback"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/complete/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("me/", views.my_account, name="my_account"),
    path("security/", views.security, name="security"),
    path("security/otp/setup/", views.otp_setup, name="otp_setup"),
    path("security/otp/verify/", views.otp_verify, name="otp_verify"),
    path("security/otp/disable/", views.otp_disable, name="otp_disable"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path(
        "security/recovery-codes/regenerate/",
        views.recovery_codes_regenerate,
        name="recovery_codes_regenerate",
    ),
    path("roles/", views.role_list, name="role_list"),
    path("roles/assign/", views.role_assign, name="role_assign"),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("users/search/", views.user_search, name="user_search"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/created/", views.user_created, name="user_created"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
