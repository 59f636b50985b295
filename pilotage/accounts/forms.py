from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.forms import OTPAuthenticationFormMixin

from pilotage.accounts.models import User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "organisation")


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class OptionalSecondFactorMixin:
    """A one-time code asked only of those who set an authenticator app (django-otp's TOTP):
    two factors are optional."""

    def second_factor_clean(self) -> None:
        user = self.get_user()
        if user is not None and user_has_device(user):
            self.second_factor_asked = True
            self.clean_otp(user)

    def _chosen_device(self, user):
        # One device, the usual case: no need to pick it from a list first.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class BackofficeLoginForm(OptionalSecondFactorMixin, OTPAdminAuthenticationForm):
    """The back-office login: a one-time code too for those who set an authenticator app."""

    def clean(self):
        # Skip the mixin's OTP step for accounts without a device: two factors are optional.
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        self.second_factor_clean()
        return self.cleaned_data

    def confirm_login_allowed(self, user) -> None:
        # A jury member or a reader who typed the right password here is logged in and sent
        # to their own page (admin.py), not told the account is no staff account: the
        # back-office itself still opens to its roles only (core.admin).
        AuthenticationForm.confirm_login_allowed(self, user)


class LoginForm(OptionalSecondFactorMixin, OTPAuthenticationFormMixin, AuthenticationForm):
    """The public login, for every role: e-mail and password, then the code of an
    authenticator app for whoever set one (the password is kept in the form meanwhile)."""

    # Listed only for whoever set several apps (filled by the mixin once the password is right).
    otp_device = forms.CharField(label=_("Authenticator app"), required=False, widget=forms.Select)
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    error_messages = {
        # The same words whether the account exists or not.
        "invalid_login": _(
            "The e-mail address or the password is not right. Check both and try again."
        ),
        "inactive": _("This account is disabled. Ask the steering staff to enable it again."),
    }
    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=_("Enter the code your authenticator app shows."),
        invalid_token=_("The code is not right or has expired. Enter the code shown now."),
    )

    second_factor_asked = False

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = _("E-mail address")
        # No autofocus: a screen reader starts from the page's top, as on every page.
        username.widget = forms.EmailInput(
            attrs={"autocomplete": "username", "spellcheck": "false", "maxlength": 254}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean_username(self) -> str:
        # Stored in lower case (User.save): "Ana@Example.org" is the same account.
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        try:
            AuthenticationForm.clean(self)
        except ValidationError as refusal:
            if refusal.code == "invalid_login" and self._is_disabled_account():
                raise ValidationError(self.error_messages["inactive"], code="inactive") from refusal
            raise
        self.second_factor_clean()
        return self.cleaned_data

    def _is_disabled_account(self) -> bool:
        """Whether the e-mail and password are right but the account is disabled: said only
        to whoever knows the password, as Django's own login does."""
        user = User.objects.filter(email=self.cleaned_data.get("username"), is_active=False).first()
        return user is not None and user.check_password(self.cleaned_data.get("password") or "")
