"""Who reads unpublished values: steering staff, and the partner editors of the
organisation reporting them; never an account merely naming that organisation."""

import pytest

from pilotage.accounts.models import User
from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.permissions import can_view_unpublished
from pilotage.indicators.selectors import observations_visible_to
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import StrategyStatus
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def values():
    ours, theirs = OrganisationFactory(), OrganisationFactory()
    node = StrategyNodeFactory()  # of an adopted strategy: public
    for name, organisation in (("OURS", ours), ("THEIRS", theirs)):
        action = ActionFactory(lead=organisation)
        action.nodes.add(node)
        indicator = IndicatorFactory(code=name, action=action)
        for year, state in enumerate((State.DRAFT, State.PUBLISHED), start=2020):
            ObservationFactory(
                indicator=indicator,
                period_start=f"{year}-01-01",
                period_end=f"{year}-12-31",
                state=state,
            )
    return {"ours": ours, "theirs": theirs}


def _read(user) -> set[tuple[str, str]]:
    return {(o.indicator.code, o.state) for o in observations_visible_to(user)}


def test_a_partner_editor_reads_its_own_values_in_every_state_and_the_published_others(
    values,
):
    partner = PartnerEditorFactory(organisation=values["ours"])

    assert _read(partner) == {("OURS", "draft"), ("OURS", "published"), ("THEIRS", "published")}
    assert can_view_unpublished(partner) is True


@pytest.mark.parametrize(
    "make",
    [
        lambda ours: UserFactory(organisation=ours),
        lambda ours: JuryMemberFactory(organisation=ours),
        lambda ours: UserFactory(),
    ],
    ids=["reader-of-the-organisation", "jury-of-the-organisation", "reader"],
)
def test_other_accounts_read_published_values_only(values, make):
    user = make(values["ours"])

    assert _read(user) == {("OURS", "published"), ("THEIRS", "published")}
    assert can_view_unpublished(user) is False


def test_a_published_value_of_a_draft_strategy_is_read_by_its_own_partner_only(values):
    draft = StrategyNodeFactory(strategy__status=StrategyStatus.DRAFT)
    action = ActionFactory(lead=values["theirs"])
    action.nodes.add(draft)
    ObservationFactory(indicator=IndicatorFactory(code="DRAFTED", action=action))

    ours = PartnerEditorFactory(organisation=values["ours"])
    theirs = PartnerEditorFactory(organisation=values["theirs"])

    assert ("DRAFTED", "published") not in _read(ours)
    assert ("DRAFTED", "published") not in _read(UserFactory(organisation=values["theirs"]))
    assert ("DRAFTED", "published") in _read(theirs)


def test_steering_staff_and_superusers_read_every_value(values):
    for user in (SteeringFactory(), User.objects.create_superuser(email="root@example.org")):
        assert len(_read(user)) == 4
