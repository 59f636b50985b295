"""`pilotage remind`: e-mail the owners who still owe values to an open campaign.

Run it daily (cron or a scheduler); it sends at most one reminder a day per campaign.
"""

from django.core.management.base import BaseCommand

from pilotage.indicators.campaigns import reminders_send


class Command(BaseCommand):
    help = "Send reporting reminders before the campaigns' deadlines."

    def handle(self, *args, **options):
        sent = reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent.")
