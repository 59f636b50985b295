"""The quarterly report: frozen from the validated data, then read as a page or a PDF.

Freezing computes every number once (progress by ambition and programme, the indicators
at risk or behind with the numbers behind their status, what changed since the previous
report, and the campaign's coverage) and stores them. The page and the PDF render that
snapshot, in the reader's language, so a past report never changes.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import asdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.accounts.permissions import is_steering
from pilotage.core.audit import acting_as
from pilotage.core.formatting import percent_text, short_date
from pilotage.core.permissions import require
from pilotage.indicators.book import ACCEPTED_STATES, ProgressBook
from pilotage.indicators.campaigns import campaign_coverage
from pilotage.indicators.models import Indicator, QuarterlyReport, ReportingCampaign
from pilotage.indicators.progress import Assessment, Status
from pilotage.strategies.models import Strategy, StrategyNode

WATCHED = (Status.AT_RISK, Status.BEHIND)


def _number(value) -> str | None:
    return None if value is None else str(value)


def report_snapshot(campaign: ReportingCampaign) -> dict:
    """Every number of the report, computed now from the validated values."""
    as_of = campaign.period_end
    strategies = (
        Strategy.objects.filter(pk=campaign.strategy_id)
        if campaign.strategy_id
        else Strategy.objects.public()
    )
    snapshot = {
        "campaign": {
            "code": campaign.code,
            "title": campaign.title,
            "period_start": campaign.period_start.isoformat(),
            "period_end": campaign.period_end.isoformat(),
            "deadline": campaign.deadline.isoformat(),
        },
        "frozen_at": timezone.now().isoformat(),
        "strategies": [],
        "watch": [],
        "indicators": {},
    }
    strategies = list(strategies.order_by("code"))
    # The one engine of statuses and roll-ups, on the validated values as of the quarter.
    book = ProgressBook.from_database(
        strategy_ids=[strategy.pk for strategy in strategies],
        states=ACCEPTED_STATES,
        as_of=as_of,
    ).compute_all()
    nodes = (
        StrategyNode.objects.filter(strategy__in=strategies, level__depth__lte=1)
        .select_related("level")
        .order_by("level__depth", "order", "code")
    )
    by_strategy: dict[int, list[StrategyNode]] = {strategy.pk: [] for strategy in strategies}
    for node in nodes:
        by_strategy[node.strategy_id].append(node)
    for strategy in strategies:
        rows = []
        for node in by_strategy[strategy.pk]:
            rollup = book.nodes.get(node.pk)
            if rollup is None or not rollup.total:
                continue
            rows.append(
                {
                    "code": node.code,
                    "title": node.title,
                    "level": node.level.name,
                    "depth": node.level.depth,
                    "progress": _number(rollup.progress),
                    "reported": rollup.reported,
                    "assessed": rollup.assessed,
                    "total": rollup.total,
                }
            )
        if rows:
            snapshot["strategies"].append(
                {"code": strategy.code, "title": strategy.title, "nodes": rows}
            )
    # The actions' indicators the book holds (those serving these strategies), by code.
    held = [pk for pk, entry in book.entries.items() if entry.action_id]
    indicators = Indicator.objects.filter(pk__in=held).select_related("action").order_by("code")
    for indicator in indicators:
        assessment = book.assessments[indicator.pk]
        entry = {
            "title": indicator.title,
            "action": indicator.action.code,
            "action_title": indicator.action.title,
            "unit": indicator.unit,
            "assessment": assessment.as_dict(),
        }
        snapshot["indicators"][indicator.code] = entry
        if assessment.status in WATCHED:
            snapshot["watch"].append(indicator.code)
    coverage = campaign_coverage(campaign)
    snapshot["coverage"] = {key: [asdict(row) for row in rows] for key, rows in coverage.items()}
    snapshot["changes"] = _changes(campaign, snapshot)
    return snapshot


def _changes(campaign: ReportingCampaign, snapshot: dict) -> list[dict]:
    """The indicators whose status changed since the previous frozen report."""
    previous = (
        QuarterlyReport.objects.filter(campaign__period_end__lt=campaign.period_end)
        .order_by("-campaign__period_end")
        .first()
    )
    if previous is None:
        return []
    before = previous.snapshot.get("indicators", {})
    changes = []
    for code, entry in snapshot["indicators"].items():
        old = before.get(code, {}).get("assessment", {}).get("status", Status.NO_DATA)
        new = entry["assessment"]["status"]
        if old != new:
            changes.append({"indicator": code, "before": old, "after": new})
    return changes


@transaction.atomic
def report_freeze(*, actor, campaign: ReportingCampaign) -> QuarterlyReport:
    """Freeze the campaign's report; a frozen report is never recomputed."""
    require(is_steering(actor), _("Only steering staff freeze reports."))
    if QuarterlyReport.objects.filter(campaign=campaign).exists():
        raise ValueError(_("This campaign's report is already frozen."))
    with acting_as(actor):
        return QuarterlyReport.objects.create(
            campaign=campaign, frozen_by=actor, snapshot=report_snapshot(campaign)
        )


def status_label(status: str) -> str:
    return str(Status(status).label)


def assessment_from(data: dict) -> Assessment:
    """Rebuild an assessment from its frozen numbers (for the explanation sentence)."""
    import datetime

    fields = {}
    for key, value in data.items():
        if key in ("status_label",):
            continue
        if key in ("as_of", "baseline_date", "target_date") and value:
            value = datetime.date.fromisoformat(value)
        elif (
            key in ("actual", "baseline_value", "target_value", "progress", "expected", "ratio")
            and value is not None
        ):
            value = Decimal(value)
        elif key == "notes":
            value = tuple(value)
        fields[key] = value
    return Assessment(**fields)


def report_context(report: QuarterlyReport) -> dict:
    """What the page and the PDF show, in the current language, from the snapshot only."""
    from pilotage.indicators.explain import explanation

    snapshot = report.snapshot
    indicators = snapshot["indicators"]
    watch = [
        {
            "code": code,
            **indicators[code],
            "status": indicators[code]["assessment"]["status"],
            "status_label": status_label(indicators[code]["assessment"]["status"]),
            "explanation": explanation(assessment_from(indicators[code]["assessment"])),
        }
        for code in snapshot["watch"]
    ]
    strategies = [
        {
            **strategy,
            "nodes": [
                {
                    **node,
                    "progress_text": percent_text(Decimal(node["progress"]))
                    if node["progress"]
                    else "–",
                }
                for node in strategy["nodes"]
            ],
        }
        for strategy in snapshot["strategies"]
    ]
    changes = [
        {
            **change,
            "title": indicators.get(change["indicator"], {}).get("title", change["indicator"]),
            "before_label": status_label(change["before"]),
            "after_label": status_label(change["after"]),
        }
        for change in snapshot["changes"]
    ]
    return {
        "report": report,
        "campaign": snapshot["campaign"],
        "frozen_at": snapshot["frozen_at"],
        # The snapshot keeps ISO texts; pages and the PDF write them as their reader does.
        "dates": {
            "start": datetime.date.fromisoformat(snapshot["campaign"]["period_start"]),
            "end": datetime.date.fromisoformat(snapshot["campaign"]["period_end"]),
            "frozen": datetime.datetime.fromisoformat(snapshot["frozen_at"]).date(),
        },
        "strategies": strategies,
        "watch": watch,
        "changes": changes,
        "coverage": snapshot["coverage"],
    }


def report_pdf(report: QuarterlyReport) -> bytes:
    """The same report as a PDF (reportlab; its standard fonts cover the accents and €)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    context = report_context(report)
    styles = getSampleStyleSheet()
    story = []

    def para(text, style="BodyText"):
        story.append(Paragraph(escape(str(text)), styles[style]))

    def table(header, rows, widths):
        data = [[Paragraph(f"<b>{escape(str(h))}</b>", styles["BodyText"]) for h in header]]
        data += [[Paragraph(escape(str(cell)), styles["BodyText"]) for cell in row] for row in rows]
        grid = Table(data, colWidths=widths, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(grid)
        story.append(Spacer(1, 0.4 * cm))

    campaign = context["campaign"]
    para(_("Quarterly report: %(title)s") % {"title": campaign["title"]}, "Title")
    para(
        _("Period %(start)s to %(end)s; validated values, frozen on %(frozen)s.")
        % {
            "start": short_date(context["dates"]["start"]),
            "end": short_date(context["dates"]["end"]),
            "frozen": short_date(context["dates"]["frozen"]),
        }
    )
    para(_("Progress by ambition and programme"), "Heading2")
    for strategy in context["strategies"]:
        para(strategy["title"], "Heading3")
        table(
            [_("Node"), _("Progress"), _("Reported")],
            [
                [f"{n['code']} {n['title']}", n["progress_text"], f"{n['reported']} / {n['total']}"]
                for n in strategy["nodes"]
            ],
            [10 * cm, 3 * cm, 3 * cm],
        )
    para(_("Indicators at risk or behind, and why"), "Heading2")
    if context["watch"]:
        table(
            [_("Indicator"), _("Status"), _("How it is computed")],
            [
                [f"{w['title']} ({w['code']})", w["status_label"], w["explanation"]]
                for w in context["watch"]
            ],
            [5.5 * cm, 2.5 * cm, 8 * cm],
        )
    else:
        para(_("No indicator is at risk or behind."))
    para(_("What changed since the previous report"), "Heading2")
    if context["changes"]:
        table(
            [_("Indicator"), _("Before"), _("Now")],
            [[c["title"], c["before_label"], c["after_label"]] for c in context["changes"]],
            [8 * cm, 4 * cm, 4 * cm],
        )
    else:
        para(_("No previous report, or no status changed."))
    para(_("Reporting coverage"), "Heading2")
    table(
        [_("Organisation"), _("Due"), _("Reported"), _("On time"), _("Validated")],
        [
            [r["label"], r["due"], r["reported"], r["on_time"], r["validated"]]
            for r in context["coverage"]["organisations"]
        ],
        [7 * cm, 2.25 * cm, 2.25 * cm, 2.25 * cm, 2.25 * cm],
    )
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=campaign["title"]).build(story)
    return buffer.getvalue()
