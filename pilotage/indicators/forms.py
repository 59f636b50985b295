from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.utils.translation import gettext_lazy as _

from pilotage.core import uploads
from pilotage.core.spreadsheets import (
    CellError,
    language_decimal_mark,
    number_for_unit,
    plain,
    read_number,
    written,
)
from pilotage.indicators.models import AMOUNT, Aggregation, Indicator, Measure, Observation


class UploadForm(uploads.UploadForm):
    """The campaign's upload: the back-office's, with its size limit (core.uploads)."""

    file = forms.FileField(label=_("Completed template (CSV or XLSX)"), required=False)


class LocalisedNumberField(forms.CharField):
    """A number typed the way people write it in the visitor's language: "5 000 000",
    "5000000,5" (or "5,000,000.5" in English), "12,5 %". The spreadsheet upload reads
    through the same reader, so the form and the file accept the same numbers.

    `unit` and `percentage` say what a percentage means: on an indicator measured in
    percent, "12,5 %" is 12.5; on any other, it is refused."""

    def __init__(self, *, unit: str = "", percentage: bool = False, **kwargs):
        self.unit, self.percentage = unit, percentage
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.validators.append(DecimalValidator(**AMOUNT))

    def to_python(self, value) -> Decimal | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            number = read_number(text, decimal_mark=language_decimal_mark())
            value = number_for_unit(number, unit=self.unit, percentage=self.percentage)
        except CellError as error:
            raise ValidationError(str(error), code="invalid") from error
        # Trailing zeros are no decimal places: "1,23450" is 1.2345 (the validator
        # refuses 1.23456, which the model would round).
        return Decimal(plain(value))

    def prepare_value(self, value):
        # A stored number is shown the way this field reads it back (5000000,5, never
        # 5000000,5000); what the visitor typed is shown as typed.
        return written(value) if isinstance(value, Decimal) else value


class ValueForm(forms.Form):
    """One indicator's value for the campaign's period, typed in the web form.

    A text indicator takes its text in the value field; every other measure a number."""

    indicator = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    # Where the model's and the service's problems show: the field the partner typed in.
    FIELDS = {"value": "value", "text_value": "value", "comment": "comment"}

    def __init__(
        self, *args, indicator: Indicator, observation: Observation | None = None, **kwargs
    ):
        self.item_indicator = indicator
        kwargs.setdefault("auto_id", f"%s-{indicator.pk}")
        if observation is not None:
            value = (
                observation.text_value if indicator.measure == Measure.TEXT else observation.value
            )
            kwargs.setdefault("initial", {"value": value, "comment": observation.comment})
        super().__init__(*args, **kwargs)
        self.fields["indicator"].initial = indicator.code
        if indicator.measure == Measure.TEXT:
            self.fields["value"] = forms.CharField(label=_("Value"), required=False)
        else:
            self.fields["value"] = LocalisedNumberField(
                label=_("Value"),
                unit=indicator.unit,
                percentage=indicator.measure == Measure.PERCENTAGE,
            )
        self.order_fields(["indicator", "value", "comment"])

    @property
    def is_text(self) -> bool:
        return self.item_indicator.measure == Measure.TEXT

    def record_arguments(self) -> dict:
        """The cleaned values as `services.observation_record` takes them."""
        value = self.cleaned_data["value"]
        if self.is_text:
            return {"text_value": value or "", "comment": self.cleaned_data["comment"]}
        return {"value": value, "comment": self.cleaned_data["comment"]}

    def add_service_error(self, error: ValidationError) -> None:
        """Show what the service refused beside the field it concerns (the value field
        when the model names no field, a locked period for instance)."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(self.FIELDS.get(name, "value"), message)
        else:
            for message in error.messages:
                self.add_error("value", message)


def indicator_kind(indicator: Indicator) -> str:
    """What a value of this indicator is, said beside its field, so a partner does not
    enter one quarter's amount on a running total (nor a total to date on a flow)."""
    if indicator.aggregation == Aggregation.SUM:
        return _("Per period: this period's amount only, not the total to date.")
    if indicator.aggregation == Aggregation.AVERAGE:
        return _("Per period: this period's value (the periods are averaged).")
    if indicator.measure in (Measure.NUMBER, Measure.AMOUNT):
        return _("Running total: the total to date, not this period's amount alone.")
    return _("The level at the end of the period.")


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
