"""`pilotage magnets_report --quarter 2026-Q3 --actor EMAIL`: each magnet linked to an
indicator reports its count as of the end of the quarter, submitted for validation.
A quarter that has not ended is refused: its count is not yet the quarter's value."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.core.formatting import short_date
from pilotage.registry.models import Magnet
from pilotage.registry.services import magnet_observe


def quarter_bounds(text: str) -> tuple[datetime.date, datetime.date]:
    """ "2026-Q3" → (2026-07-01, 2026-09-30)."""
    try:
        year, quarter = text.upper().split("-Q")
        year, quarter = int(year), int(quarter)
        if not 1 <= quarter <= 4:
            raise ValueError
    except ValueError:
        raise CommandError(f"{text!r} is not a quarter such as 2026-Q3.") from None
    start = datetime.date(year, 3 * quarter - 2, 1)
    following = datetime.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


class Command(BaseCommand):
    help = "Report every magnet's count as the value of the indicator it feeds."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="e.g. 2026-Q3")
        parser.add_argument("--actor", required=True, help="e-mail of a steering account")

    def handle(self, *args, quarter, actor, **options):
        start, end = quarter_bounds(quarter)
        if end > timezone.localdate():
            raise CommandError(
                _("The quarter %(quarter)s has not ended: it ends on %(end)s.")
                % {"quarter": quarter.upper(), "end": short_date(end)}
            )
        try:
            user = get_user_model().objects.get(email=actor)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No account with the e-mail {actor}.") from None
        magnets = Magnet.objects.filter(indicator__isnull=False).select_related("indicator")
        for magnet in magnets:
            observation = magnet_observe(
                actor=user, magnet=magnet, period_start=start, period_end=end
            )
            self.stdout.write(
                f"{magnet.code} → {magnet.indicator.code}: {observation.value:.0f} "
                f"({start} – {end}, {observation.state})"
            )
