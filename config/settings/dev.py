"""The embedded default: SQLite, console e-mail, debug on for a local checkout."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)
