"""The back-office's reallocation forms: lines offered by their label and what they still
have, amounts in the reader's locale, a decision with its comment."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from pilotage.budgets import services
from pilotage.budgets.models import BudgetLine, Reallocation, ReallocationState
from pilotage.core.formatting import money_text, number_text

ZERO = models.Value(Decimal(0), output_field=models.DecimalField(max_digits=18, decimal_places=2))


def amount_text(value: Decimal | None) -> str:
    """5000000 → "5 000 000", 1234.5 → "1 234,50" in French: euros, cents only when some."""
    if value is None:
        return ""
    value = Decimal(value)
    return number_text(value) if value == value.to_integral() else money_text(value)


def euros(value: Decimal | None) -> str:
    """An amount with its unit, "5 000 000 €"; "" for nothing."""
    return "" if value is None else f"{amount_text(value)} €"


def movable_lines() -> models.QuerySet[BudgetLine]:
    """The lines money can move between (never a declared total), each with `remaining`:
    its current amount less the moves out of it that wait for approval."""
    pending = (
        Reallocation.objects.filter(
            from_line=models.OuterRef("pk"), state=ReallocationState.PENDING
        )
        .values("from_line")
        .annotate(total=models.Sum("amount"))
        .values("total")
    )
    return (
        BudgetLine.objects.parts()
        .select_related("strategy", "node", "action")
        .annotate(
            pending=Coalesce(models.Subquery(pending), ZERO),
            remaining=Coalesce("revised_amount", "amount") - models.F("pending"),
        )
        .order_by("strategy__code", "code")
    )


class LineChoiceField(forms.ModelChoiceField):
    """A line named by its code and label, its strategy, flow and year, and what it has
    left to give."""

    def label_from_instance(self, line: BudgetLine) -> str:
        name = f"{line.code} — {line.label}" if line.label else line.code
        details = [line.strategy.code, str(line.get_flow_display())]
        if line.year:
            details.append(str(line.year))
        return _("%(line)s (%(details)s): %(remaining)s available") % {
            "line": name,
            "details": ", ".join(details),
            "remaining": euros(line.remaining),
        }


class ReallocationRequestForm(forms.ModelForm):
    from_line = LineChoiceField(label=_("from"), queryset=movable_lines())
    to_line = LineChoiceField(label=_("to"), queryset=movable_lines())

    class Meta:
        model = Reallocation
        fields = ["from_line", "to_line", "amount", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read again for each form: what a line has left moves with each request.
        for name in ("from_line", "to_line"):
            self.fields[name].queryset = movable_lines()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        giving, amount = data["from_line"], data["amount"]
        if amount is not None and amount > giving.remaining:
            self.add_error("amount", _too_large(amount, giving.remaining))
            return data
        try:
            services.reallocation_check(
                from_line=giving, to_line=data["to_line"], amount=amount, reason=data["reason"]
            )
        except ValidationError as error:
            field = {"too_large": "amount", "amount": "amount", "reason": "reason"}.get(error.code)
            if error.code == "too_large":
                error = _too_large(amount, movable_lines().get(pk=giving.pk).remaining)
            self.add_error(field, error)
        return data


def _too_large(amount: Decimal, available: Decimal) -> ValidationError:
    return ValidationError(
        _("%(amount)s € is more than the %(available)s € the line still has.")
        % {"amount": amount_text(amount), "available": amount_text(available)},
        code="too_large",
    )


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class ReallocationDecisionForm(forms.Form):
    """Approve or reject, with a comment kept with the decision (required to reject)."""

    decision = forms.ChoiceField(
        label=_("decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the decision and shown in both lines' history."),
    )

    def __init__(self, *args, decision: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if decision in Decision.values:
            self.fields["decision"].initial = decision

    def clean(self):
        data = super().clean()
        if data.get("decision") == Decision.REJECT and not data.get("note", "").strip():
            self.add_error("note", _("Say why the reallocation is rejected."))
        return data
