"""The public login, logout and password reset, through Django's own views: django-axes
counts every failed login there as at the back-office's login."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from pilotage.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    """E-mail and password (and an authenticator's code for whoever set one), then the
    page asked for if it is on this site, else the person's own page."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """By POST only (Django's), then a page saying so."""

    template_name = "accounts/logged_out.html"


class PasswordResetView(auth_views.PasswordResetView):
    """A link by e-mail, in the language the person asked in; the same answer for an
    address without an account."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
