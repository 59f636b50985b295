"""What the commands that write on someone's behalf share: the account they act as."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def command_actor(email: str):
    """The account a command acts as (`--actor EMAIL`); its rights are checked by the
    services it calls, as for any other interface."""
    try:
        return get_user_model().objects.get(email=email)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No account with the e-mail {email}.") from None
