from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Completed template (CSV or XLSX)"))


class ValueForm(forms.Form):
    """One value typed in the web form."""

    indicator = forms.CharField(widget=forms.HiddenInput)
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4, required=False)
    numerator = forms.DecimalField(
        label=_("Numerator"), max_digits=20, decimal_places=4, required=False
    )
    denominator = forms.DecimalField(
        label=_("Denominator"), max_digits=20, decimal_places=4, required=False
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    observation = forms.IntegerField(widget=forms.HiddenInput)
    transition = forms.ChoiceField(
        choices=[
            ("validate", _("Validate")),
            ("send_back", _("Send back")),
            ("reopen", _("Reopen")),
        ]
    )
    reason = forms.CharField(label=_("Reason (to send back or reopen)"), required=False)

    # Sending back and reopening need a reason (the service checks it too).
    NEEDS_REASON = ("send_back", "reopen")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("transition") in self.NEEDS_REASON and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give a reason."))
        return cleaned
