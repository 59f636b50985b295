"""A person's own page: by role, only their own account, in a fixed number of queries;
the pages kept for anonymous visitors never carry an account."""

import datetime

import pytest

from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.indicators.campaigns import campaign_open
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory

pytestmark = pytest.mark.django_db


def open_campaigns(actor, count: int) -> None:
    for number in range(count):
        campaign_open(
            actor=actor,
            code=f"Q{number}-2025",
            title=f"Campagne {number}",
            period_start=datetime.date(2025, 1, 1),
            period_end=datetime.date(2025, 3, 31),
            deadline=datetime.date(2025, 4, 30),
        )


@pytest.mark.parametrize("campaigns", [1, 6])
def test_the_steering_page_reads_in_a_fixed_number_of_queries(
    client, django_assert_num_queries, campaigns
):
    steering = SteeringFactory()
    open_campaigns(steering, campaigns)
    for _ in range(3):
        ObservationFactory(indicator=IndicatorFactory(), state=State.SUBMITTED)
    ObservationFactory(indicator=IndicatorFactory(), state=State.DRAFT)
    client.force_login(steering)
    client.get("/account/")  # the session and the read model warmed

    # Session, user, the open campaigns, the submitted values counted; the request's
    # savepoint and its release.
    with django_assert_num_queries(6):
        response = client.get("/account/")
    text = response.content.decode()
    assert "3 valeurs soumises attendent leur validation." in text
    assert text.count('href="/reporting/Q') == campaigns


def test_a_partner_editors_page_reads_in_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    editor = PartnerEditorFactory()
    open_campaigns(SteeringFactory(), 3)
    client.force_login(editor)
    client.get("/account/")

    # Session, user, its organisation, the open campaigns; savepoint and release.
    with django_assert_num_queries(6):
        response = client.get("/account/")
    assert response.content.decode().count('href="/reporting/Q') == 3


@pytest.mark.parametrize("factory", [JuryMemberFactory, UserFactory])
def test_jury_members_and_readers_see_no_campaign_and_no_count(client, factory):
    steering = SteeringFactory(email="ana@example.org")
    open_campaigns(steering, 1)
    ObservationFactory(indicator=IndicatorFactory(), state=State.SUBMITTED)
    client.force_login(factory())

    text = client.get("/account/").content.decode()

    assert "/reporting/Q0-2025/" not in text
    assert "soumise" not in text
    assert "ana@example.org" not in text


def test_the_pages_kept_for_anonymous_visitors_never_carry_an_account(client):
    client.get("/")  # kept for anonymous visitors
    client.force_login(UserFactory(full_name="Léa Martin"))
    logged_in = [client.get(url).content.decode() for url in ("/", "/actions/")]

    client.logout()
    anonymous = [client.get(url).content.decode() for url in ("/", "/actions/")]

    assert all('Mon espace<span class="account-name"> · Léa</span>' in p for p in logged_in)
    for page in anonymous:
        assert "Léa" not in page
        assert 'href="/account/login/">Se connecter</a>' in page
        assert "csrfmiddlewaretoken" not in page
