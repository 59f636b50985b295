"""The web reporting form reads numbers as partners write them in their language, shows
each error beside its field with what was typed kept, and tells a running total from a
per-period value; the upload can be checked before anything is recorded."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory, UserFactory
from pilotage.indicators import campaigns
from pilotage.indicators.models import Aggregation, Measure, Observation
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import ActionFactory

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
    count = IndicatorFactory(action=action, code="OWN-COUNT", unit="levées de fonds")
    percent = IndicatorFactory(action=action, code="OWN-PCT", unit="%", measure=Measure.PERCENTAGE)
    return campaign, partner, count, percent


def page_url(campaign, language=None):
    with translation.override(language or "fr"):
        return reverse("reporting:campaign-detail", args=[campaign.code])


def french(message: str, **values) -> str:
    """A message as the French page says it."""
    with translation.override("fr"):
        return translation.gettext(message) % values


def stored(code):
    return Observation.objects.get(indicator__code=code)


@pytest.mark.parametrize(
    ("code", "typed", "value"),
    [
        ("OWN-COUNT", "5 000 000", D(5000000)),
        ("OWN-COUNT", "5\u00a0000\u00a0000", D(5000000)),  # a no-break space
        ("OWN-COUNT", "5\u202f000\u202f000", D(5000000)),  # a narrow no-break space
        ("OWN-COUNT", "5'000'000", D(5000000)),
        ("OWN-COUNT", "5000000,5", D("5000000.5")),
        ("OWN-COUNT", "1 234,5", D("1234.5")),
        ("OWN-PCT", "12,5 %", D("12.5")),
        ("OWN-PCT", "12,5", D("12.5")),
    ],
)
def test_a_number_written_in_french_is_stored_exactly(client, setup, code, typed, value):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": code, "value": typed})

    assert response.status_code == 302
    observation = stored(code)
    assert (observation.value, observation.state) == (value, State.SUBMITTED)


@pytest.mark.parametrize(
    ("language", "typed", "value"),
    [
        ("en", "5,000,000.5", D("5000000.5")),
        ("en", "5000000.5", D("5000000.5")),
        ("de", "5.000.000,5", D("5000000.5")),
        ("nl", "1.234", D(1234)),  # thousands grouped with a dot, as in Flanders
        ("nl", "1.234,5", D("1234.5")),
    ],
)
def test_each_language_reads_its_own_decimal_mark(client, setup, language, typed, value):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)

    response = client.post(page_url(campaign, language), {"indicator": "OWN-COUNT", "value": typed})

    assert response.status_code == 302
    assert stored("OWN-COUNT").value == value


def test_a_text_indicator_takes_its_text_in_the_value_field(client, setup):
    campaign, partner, count, _percent = setup
    IndicatorFactory(action=count.action, code="OWN-TXT", measure=Measure.TEXT)
    client.force_login(partner)

    response = client.post(
        page_url(campaign), {"indicator": "OWN-TXT", "value": "Trois ateliers à Namur"}
    )

    assert response.status_code == 302
    observation = stored("OWN-TXT")
    assert (observation.text_value, observation.value) == ("Trois ateliers à Namur", None)


def field_error(page: str, indicator) -> str:
    """The error text the value input points to through aria-describedby."""
    field = re.search(rf'<input[^>]*id="value-{indicator.pk}"[^>]*>', page, re.S).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]*)"', field).group(1).split()
    assert f"value-{indicator.pk}-error" in described
    error = re.search(rf'id="value-{indicator.pk}-error"[^>]*>(.*?)</p>', page, re.S).group(1)
    return re.sub(r"<[^>]+>", "", error)


def typed_in(page: str, indicator) -> str:
    field = re.search(rf'<input[^>]*id="value-{indicator.pk}"[^>]*>', page, re.S).group(0)
    return re.search(r'\svalue="([^"]*)"', field).group(1)


def test_text_that_is_no_number_is_refused_beside_its_field_and_kept(client, setup):
    campaign, partner, count, _percent = setup
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "abc"})

    assert response.status_code == 400
    page = response.content.decode()
    reason = french("%(text)s is not a number", text="abc")
    assert reason in field_error(page, count).replace("&#x27;", "'")
    assert typed_in(page, count) == "abc"
    # The alert at the top leads to the field.
    assert f'<a href="#value-{count.pk}">' in page
    assert not Observation.objects.exists()


def test_a_percentage_is_refused_on_a_count(client, setup):
    campaign, partner, count, _percent = setup
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "12,5 %"})

    assert response.status_code == 400
    page = response.content.decode()
    reason = french(
        "%(text)s is a percentage, but this indicator is measured in %(unit)s",
        text="12.5 %",
        unit="levées de fonds",
    )
    assert reason in field_error(page, count).replace("&#x27;", "'")
    assert typed_in(page, count) == "12,5 %"
    assert not Observation.objects.exists()


def test_more_decimals_than_stored_are_refused_at_the_field(client, setup):
    campaign, partner, count, _percent = setup
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "1,23456"})

    assert response.status_code == 400
    assert "4" in field_error(response.content.decode(), count)
    assert not Observation.objects.exists()


def test_what_the_service_refuses_shows_at_the_field_and_leaves_no_draft(client, setup):
    campaign, partner, _count, _percent = setup
    yes_no = IndicatorFactory(
        action=ActionFactory(lead=partner.organisation), code="OWN-YN", measure=Measure.BOOLEAN
    )
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": "OWN-YN", "value": "2"})

    assert response.status_code == 400
    assert french("Yes or no: 1 or 0.") in field_error(response.content.decode(), yes_no)
    assert not Observation.objects.exists()


def test_the_form_prefills_what_it_reads_back(client, setup):
    campaign, partner, count, _percent = setup
    client.force_login(partner)
    client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "5000000,5"})

    french = client.get(page_url(campaign)).content.decode()
    english = client.get(page_url(campaign, "en")).content.decode()

    assert typed_in(french, count) == "5000000,5"  # never 5000000,5000
    assert typed_in(english, count) == "5000000.5"
    # Submitted again as prefilled, the value is unchanged.
    response = client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "5000000,5"})
    assert response.status_code == 302
    assert stored("OWN-COUNT").value == D("5000000.5")


def hint(page: str, indicator) -> str:
    text = re.search(rf'id="value-{indicator.pk}-hint"[^>]*>(.*?)</p>', page, re.S).group(1)
    return re.sub(r"[ \t\n]+", " ", text).strip()  # a no-break space kept


def test_each_field_shows_the_previous_value_and_whether_it_is_a_running_total(client, setup):
    campaign, partner, count, percent = setup
    count.aggregation = Aggregation.LAST
    count.save()
    flow = IndicatorFactory(
        action=count.action, code="OWN-FLOW", unit="€", aggregation=Aggregation.SUM
    )
    ObservationFactory(
        indicator=count,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 12, 31),
        value=D("1234567.5"),
        state=State.VALIDATED,
    )
    ObservationFactory(  # older: not the previous value
        indicator=count,
        period_start=datetime.date(2025, 7, 1),
        period_end=datetime.date(2025, 9, 30),
        value=D(3),
    )
    ObservationFactory(  # a draft is not a value yet
        indicator=flow,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 12, 31),
        value=D(9),
        state=State.DRAFT,
    )
    client.force_login(partner)

    page = client.get(page_url(campaign, "en")).content.decode()

    assert hint(page, count) == (
        "Running total: the total to date, not this period's amount alone. "
        "Previous value: 1,234,567.5 levées de fonds (period ending 31/12/2025)."
    ).replace("'", "&#x27;")
    assert hint(page, flow) == (
        "Per period: this period's amount only, not the total to date. No earlier value."
    ).replace("'", "&#x27;")
    assert hint(page, percent).startswith("The level at the end of the period. No earlier value.")
    field = re.search(rf'<input[^>]*id="value-{count.pk}"[^>]*>', page, re.S).group(0)
    assert f'aria-describedby="value-{count.pk}-hint"' in field


def test_the_page_in_french_formats_the_previous_value_in_french(client, setup):
    campaign, partner, count, _percent = setup
    ObservationFactory(
        indicator=count,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 12, 31),
        value=D("1234567.5"),
    )
    client.force_login(partner)

    page = client.get(page_url(campaign)).content.decode()

    assert "1\u00a0234\u00a0567,5 levées de fonds" in hint(page, count)


@pytest.mark.parametrize(
    ("make_user", "status"),
    [(UserFactory, 403), (PartnerEditorFactory, 403), (SteeringFactory, 302)],
)
def test_only_the_owner_and_staff_report_a_value(client, setup, make_user, status):
    campaign, _partner, _count, _percent = setup
    client.force_login(make_user())

    response = client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "5 000"})

    assert response.status_code == status
    assert Observation.objects.filter(value=D(5000)).count() == (status == 302)


def test_the_form_needs_its_csrf_token(setup):
    from django.test import Client

    campaign, partner, _count, _percent = setup
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "5"})

    assert response.status_code == 403
    assert not Observation.objects.exists()


def test_the_campaign_page_reads_in_a_fixed_number_of_queries(
    client, setup, django_assert_num_queries
):
    campaign, partner, count, _percent = setup
    for number in range(5):
        indicator = IndicatorFactory(action=count.action, code=f"OWN-MORE-{number}")
        ObservationFactory(indicator=indicator)  # a previous value
        ObservationFactory(
            indicator=indicator,
            period_start=campaign.period_start,
            period_end=campaign.period_end,
            state=State.SUBMITTED,
        )
    client.force_login(partner)
    client.get(page_url(campaign))  # the session and the read model warmed

    # Session, user, campaign, the indicators due, their values, the previous values; the
    # request's savepoint and its release.
    with django_assert_num_queries(8):
        response = client.get(page_url(campaign))
    assert response.status_code == 200
    assert response.content.decode().count('class="value-form"') == 7


# --- the upload: checked first, then recorded ----------------------------------------


def upload(client, campaign, content: bytes, action: str, name="valeurs.csv"):
    """The file posted to the page in English, whose messages the tests read."""
    return client.post(
        page_url(campaign, "en"), {"file": SimpleUploadedFile(name, content), action: "1"}
    )


def test_checking_a_file_shows_what_each_row_would_do_and_records_nothing(client, setup):
    campaign, partner, count, _percent = setup
    ObservationFactory(
        indicator=count,
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        value=D(40),
        state=State.SUBMITTED,
    )
    client.force_login(partner)
    content = "indicator;value;comment\nOWN-COUNT;42;Liège\nOWN-PCT;12,5 %;\n".encode("cp1252")

    response = upload(client, campaign, content, "check")

    assert response.status_code == 200
    report = response.context["report"]
    assert [(row["key"], row["action"]) for row in report["rows"]] == [
        ("OWN-COUNT", "updated"),
        ("OWN-PCT", "created"),
    ]
    page = response.content.decode()
    assert "40 → 42" in page
    assert "The file was read as Windows-1252 (not UTF-8)." in page
    assert stored("OWN-COUNT").value == D(40)
    assert not Observation.objects.filter(indicator__code="OWN-PCT").exists()


def test_an_upload_says_what_it_recorded(client, setup):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)
    content = b"indicator;value\nOWN-COUNT;5 000 000\nOWN-PCT;12,5 %\n"

    response = upload(client, campaign, content, "upload")

    assert response.status_code == 302
    assert (stored("OWN-COUNT").value, stored("OWN-PCT").value) == (D(5000000), D("12.5"))
    messages = [str(m) for m in client.get(page_url(campaign, "en")).context["messages"]]
    assert any(m.startswith("2 new value(s) and 0 changed value(s) submitted") for m in messages)


def test_an_upload_that_changes_nothing_is_no_success(client, setup):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)
    content = b"indicator;value\nOWN-COUNT;7\n"
    upload(client, campaign, content, "upload")
    client.get(page_url(campaign, "en"))  # its message read

    response = upload(client, campaign, content, "upload")

    messages = list(client.get(page_url(campaign, "en")).context["messages"])
    assert response.status_code == 302
    assert [(m.level_tag, str(m)) for m in messages] == [
        (
            "warning",
            "Nothing was recorded: 1 value(s) equal what is stored, 0 row(s) without a value.",
        )
    ]


def test_an_upload_without_a_file_says_so_at_the_field(client, setup):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)

    response = client.post(page_url(campaign, "en"), {"upload": "1"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-describedby="id_file-error"' in page
    assert re.search(r'id="id_file-error">.*Choose a file to check or import\.</p>', page)


def test_a_refused_file_lists_file_sheet_row_column_value_and_reason(client, setup):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)
    content = b"indicator;value\nOWN-COUNT;douze\n"

    for action in ("check", "upload"):
        response = upload(client, campaign, content, action)

        assert response.status_code == 400
        page = response.content.decode()
        cells = re.findall(r"<td>(.*?)</td>", page.split('id="problems-caption"')[1])
        assert cells[:5] == ["valeurs.csv", "", "row 2", "value", "douze"]
        assert "douze is not a number" in cells[5]
    assert not Observation.objects.exists()


def test_the_checked_file_is_submitted_without_a_second_upload(client, setup):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)
    content = b"indicator;value\nOWN-COUNT;5 000 000\nOWN-PCT;12,5 %\n"
    checked = upload(client, campaign, content, "check")
    token = checked.context["report"]["checked"]
    assert f'name="import_checked" value="{token}"' in checked.content.decode()
    assert not Observation.objects.exists()

    response = client.post(page_url(campaign, "en"), {"import_checked": token})

    assert response.status_code == 302
    assert (stored("OWN-COUNT").value, stored("OWN-PCT").value) == (D(5000000), D("12.5"))
    # Kept once: the same token submits nothing again.
    again = client.post(page_url(campaign, "en"), {"import_checked": token})
    assert again.status_code == 400
    assert "The checked file is no longer kept: upload it again." in again.content.decode()


def test_trailing_zeros_are_no_decimal_places(client, setup):
    campaign, partner, _count, _percent = setup
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": "OWN-COUNT", "value": "1,23450"})

    assert response.status_code == 302
    assert stored("OWN-COUNT").value == D("1.2345")


# --- what the form does not give is kept ---------------------------------------------


def test_the_form_keeps_the_evidence_and_a_ratio_that_still_gives_the_value(client, setup):
    campaign, partner, _count, percent = setup
    ObservationFactory(
        indicator=percent,
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        value=D(50),
        numerator=D(5),
        denominator=D(10),
        evidence_url="https://example.org/preuve.pdf",
        state=State.SUBMITTED,
    )
    client.force_login(partner)

    response = client.post(page_url(campaign), {"indicator": "OWN-PCT", "value": "50"})

    assert response.status_code == 302
    observation = stored("OWN-PCT")
    assert (
        observation.value,
        observation.numerator,
        observation.denominator,
        observation.evidence_url,
    ) == (D(50), D(5), D(10), "https://example.org/preuve.pdf")

    # A value typed directly replaces a ratio that no longer gives it.
    response = client.post(page_url(campaign), {"indicator": "OWN-PCT", "value": "60"})

    assert response.status_code == 302
    observation = stored("OWN-PCT")
    assert (
        observation.value,
        observation.numerator,
        observation.denominator,
        observation.evidence_url,
    ) == (D(60), None, None, "https://example.org/preuve.pdf")


def test_a_new_total_the_stored_breakdown_does_not_add_up_to_is_refused(client, setup):
    from pilotage.indicators.models import ObservationPart
    from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

    campaign, partner, count, _percent = setup
    observation = ObservationFactory(
        indicator=count,
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        value=D(30),
        state=State.SUBMITTED,
    )
    provinces = TaxonomyFactory(code="provinces")
    for code, value in (("namur", D(10)), ("liege", D(20))):
        ObservationPart.objects.create(
            observation=observation, term=TermFactory(taxonomy=provinces, code=code), value=value
        )
    client.force_login(partner)

    with translation.override("en"):
        response = client.post(page_url(campaign, "en"), {"indicator": "OWN-COUNT", "value": "35"})

    assert response.status_code == 400
    error = field_error(response.content.decode(), count)
    assert "The stored breakdown adds up to 30, not to 35" in error
    observation.refresh_from_db()
    assert observation.value == D(30)
    assert sorted(observation.parts.values_list("value", flat=True)) == [D(10), D(20)]


# --- the upload's size ---------------------------------------------------------------


class Unread(SimpleUploadedFile):
    """A file whose content must not be read."""

    def read(self, *args, **kwargs):
        raise AssertionError("the content was read")

    def chunks(self, *args, **kwargs):
        raise AssertionError("the content was read")


def test_an_upload_over_the_limit_is_refused_by_its_size_before_it_is_read(settings):
    from pilotage.core.uploads import UPLOAD_MAX_BYTES
    from pilotage.indicators.forms import UploadForm

    assert UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    settings.PILOTAGE_UPLOAD_MAX_BYTES = 100
    big = Unread("valeurs.csv", b"indicator;value\n" + b"OWN-COUNT;1\n" * 20)

    with translation.override("en"):
        form = UploadForm(data={}, files={"file": big})
        assert not form.is_valid()
        assert form.errors["file"] == [
            "valeurs.csv is 256\xa0bytes: at most 100\xa0bytes can be uploaded here. "
            "Split the file, or import it from the command line."
        ]

    small = SimpleUploadedFile("valeurs.csv", b"indicator;value\nOWN-COUNT;1\n")
    assert UploadForm(data={}, files={"file": small}).is_valid()


def test_the_page_refuses_an_upload_over_the_limit_at_the_field(client, setup, settings):
    campaign, partner, _count, _percent = setup
    settings.PILOTAGE_UPLOAD_MAX_BYTES = 10
    client.force_login(partner)

    response = upload(client, campaign, b"indicator;value\nOWN-COUNT;7\n", "upload")

    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="id_file-error">.*at most 10\xa0bytes can be uploaded', page, re.S)
    assert not Observation.objects.exists()
