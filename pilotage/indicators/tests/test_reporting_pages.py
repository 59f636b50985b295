"""The reporting pages: owners report by form or upload, staff review, everyone sees coverage."""

import datetime
from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory, UserFactory
from pilotage.indicators import campaigns
from pilotage.indicators.models import Indicator, Observation
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import StrategyStatus
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    steering = SteeringFactory()
    campaign = campaigns.campaign_open(
        actor=steering,
        code="2026-Q1",
        title="T1 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        deadline=datetime.date(2026, 4, 15),
    )
    partner = PartnerEditorFactory()
    action = ActionFactory(lead=partner.organisation)
    action.nodes.add(StrategyNodeFactory())  # public: the coverage counts public ones only
    indicator = IndicatorFactory(action=action, code="OWN-A")
    return steering, campaign, partner, indicator


def url(name, campaign, *args):
    return reverse(f"reporting:{name}", args=[campaign.code, *args])


def test_an_account_is_needed(client, setup):
    _steering, campaign, _partner, _indicator = setup
    response = client.get(url("campaign-detail", campaign))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_reader_cannot_report(client, setup):
    _steering, campaign, _partner, _indicator = setup
    client.force_login(UserFactory())
    assert client.get(url("campaign-detail", campaign)).status_code == 403


def test_an_owner_reports_in_the_web_form_and_staff_validate(client, setup):
    steering, campaign, partner, indicator = setup
    client.force_login(partner)
    page = client.get(url("campaign-detail", campaign)).content.decode()
    assert indicator.code in page

    client.post(
        url("campaign-detail", campaign), {"indicator": "OWN-A", "value": "42", "comment": "ok"}
    )
    observation = Observation.objects.get()
    assert (observation.value, observation.state) == (D(42), State.SUBMITTED)

    # The partner cannot validate its own value...
    assert (
        client.post(
            url("campaign-review", campaign),
            {"observation": observation.pk, "transition": "validate"},
        ).status_code
        == 403
    )
    # ...staff can.
    client.force_login(steering)
    client.post(
        url("campaign-review", campaign), {"observation": observation.pk, "transition": "validate"}
    )
    observation.refresh_from_db()
    assert observation.state == State.VALIDATED


def test_a_broken_upload_shows_every_problem_and_records_nothing(client, setup):
    _steering, campaign, partner, _indicator = setup
    client.force_login(partner)
    content = b"indicator,value\nOWN-A,douze\nNOPE,1\n"

    response = client.post(
        url("campaign-detail", campaign), {"file": SimpleUploadedFile("t.csv", content)}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "douze" in page and "NOPE" in page and "t.csv" in page
    assert not Observation.objects.exists()


def test_the_template_downloads_as_xlsx_and_csv(client, setup):
    _steering, campaign, partner, _indicator = setup
    client.force_login(partner)
    xlsx = client.get(url("campaign-template", campaign, "xlsx"))
    csv = client.get(url("campaign-template", campaign, "csv"))
    assert xlsx.content[:2] == b"PK"  # a zip, as every XLSX
    # As Excel in Belgium opens it: a byte order mark, semicolons.
    assert csv.content.decode("utf-8-sig").splitlines()[1].startswith("OWN-A;")
    assert client.get(url("campaign-template", campaign, "exe")).status_code == 404


def test_coverage_is_public(client, setup):
    _steering, campaign, partner, _indicator = setup
    page = client.get(url("campaign-coverage", campaign)).content.decode()
    assert partner.organisation.name in page


def test_coverage_leaves_out_what_is_not_public(client, setup):
    steering, campaign, partner, _indicator = setup
    draft_node = StrategyNodeFactory(
        strategy__status=StrategyStatus.DRAFT, code="SECRET-NODE", title_fr="Brouillon"
    )
    hidden = ActionFactory(lead=OrganisationFactory(name="Hidden lead"))
    hidden.nodes.add(draft_node)
    IndicatorFactory(action=hidden, code="HIDDEN-IND")
    of_draft = campaigns.campaign_open(
        actor=steering,
        code="2026-Q1-DRAFT",
        title="Of a draft",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        deadline=datetime.date(2026, 4, 15),
        strategy=draft_node.strategy,
    )
    page = client.get(url("campaign-coverage", campaign)).content.decode()
    assert partner.organisation.name in page
    assert "SECRET-NODE" not in page and "Hidden lead" not in page
    assert client.get(url("campaign-coverage", of_draft)).status_code == 404


def validated_value(steering, partner, campaign, value="42"):
    """A value the partner submitted and staff validated (so locked), through the services."""
    from pilotage.indicators import services

    observation = services.observation_record(
        actor=partner,
        indicator=Indicator.objects.get(code="OWN-A"),
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        value=D(value),
    )
    services.observation_transition(actor=partner, observation=observation, transition="submit")
    return services.observation_transition(
        actor=steering, observation=observation, transition="validate"
    )


def said(response, text: str) -> bool:
    """Whether the page's messages include `text`, in the language the page was served in."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        expected = translation.gettext(text)
    return expected in [str(message) for message in response.context["messages"]]


def test_staff_reopen_a_validated_value_from_the_page_with_a_reason(client, setup):
    steering, campaign, partner, _indicator = setup
    observation = validated_value(steering, partner, campaign)
    review = url("campaign-review", campaign)
    reopen = {"observation": observation.pk, "transition": "reopen"}

    # The partner sees no reopen button, and cannot reopen by posting.
    client.force_login(partner)
    assert 'value="reopen"' not in client.get(url("campaign-detail", campaign)).content.decode()
    assert client.post(review, reopen | {"reason": "typo"}).status_code == 403
    observation.refresh_from_db()
    assert observation.state == State.VALIDATED

    # Staff see the button; without a reason, nothing moves and they are told why.
    client.force_login(steering)
    assert 'value="reopen"' in client.get(url("campaign-detail", campaign)).content.decode()
    response = client.post(review, reopen | {"reason": "  "}, follow=True)
    assert said(response, "Give a reason.")
    observation.refresh_from_db()
    assert observation.state == State.VALIDATED

    client.post(review, reopen | {"reason": "Chiffre corrigé par la source"})
    observation.refresh_from_db()
    assert (observation.state, observation.review_note) == (
        State.DRAFT,
        "Chiffre corrigé par la source",
    )
    entry = LogEntry.objects.get_for_object(observation).order_by("-timestamp", "-pk").first()
    assert entry.actor == steering
    assert entry.changes_dict["state"] == [State.VALIDATED, State.DRAFT]

    # Reopened, the value is the partner's to correct again in the web form.
    client.force_login(partner)
    client.post(url("campaign-detail", campaign), {"indicator": "OWN-A", "value": "43"})
    observation.refresh_from_db()
    assert (observation.value, observation.state) == (D(43), State.SUBMITTED)


def test_a_closed_campaign_takes_no_value_from_the_web_form(client, setup):
    steering, campaign, partner, _indicator = setup
    campaigns.campaign_close(actor=steering, campaign=campaign)
    client.force_login(partner)

    page = client.get(url("campaign-detail", campaign)).content.decode()
    assert 'class="value-form"' not in page and 'class="upload"' not in page
    typed = client.post(
        url("campaign-detail", campaign), {"indicator": "OWN-A", "value": "12"}, follow=True
    )
    uploaded = client.post(
        url("campaign-detail", campaign),
        {"file": SimpleUploadedFile("t.csv", b"indicator,value\nOWN-A,12\n")},
        follow=True,
    )

    assert said(typed, "This campaign is closed.")
    assert said(uploaded, "This campaign is closed.")
    assert not Observation.objects.exists()


def test_opening_closing_and_freezing_a_campaign_show_in_its_history(setup):
    from pilotage.indicators import reports

    steering, campaign, _partner, _indicator = setup
    campaigns.campaign_close(actor=steering, campaign=campaign)
    report = reports.report_freeze(actor=steering, campaign=campaign)

    opened, closed = LogEntry.objects.get_for_object(campaign).order_by("timestamp", "pk")
    assert (opened.action, opened.actor) == (LogEntry.Action.CREATE, steering)
    assert (closed.action, closed.actor) == (LogEntry.Action.UPDATE, steering)
    assert closed.changes_dict["state"] == ["open", "closed"]
    [frozen] = LogEntry.objects.get_for_object(report)
    assert (frozen.action, frozen.actor) == (LogEntry.Action.CREATE, steering)
    assert "snapshot" not in frozen.changes_dict  # the snapshot is kept whole in the report


def test_a_validated_value_is_deleted_only_once_reopened(client, setup):
    from pilotage.indicators import services

    steering, campaign, partner, _indicator = setup
    observation = validated_value(steering, partner, campaign)

    with pytest.raises(services.PeriodLocked):
        services.observation_delete(actor=steering, observation=observation)
    assert Observation.objects.filter(pk=observation.pk).exists()
    # The back-office offers no deletion of a locked value either.
    steering.is_staff = True
    steering.save()
    client.force_login(steering)
    delete = reverse("admin:indicators_observation_delete", args=[observation.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:indicators_observation_changelist"),
        {"action": "delete_selected", "_selected_action": [observation.pk], "post": "yes"},
    )
    assert bulk.status_code == 403
    assert Observation.objects.filter(pk=observation.pk).exists()

    services.observation_transition(
        actor=steering, observation=observation, transition="reopen", reason="Doublon"
    )
    services.observation_delete(actor=steering, observation=observation)
    assert not Observation.objects.filter(pk=observation.pk).exists()
