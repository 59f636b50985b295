"""Shared pytest fixtures."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

STANDARDS = Path(settings.BASE_DIR).parent / "shared" / "standards"


@pytest.fixture
def shipped_data(db):
    """The shipped data files, loaded by the real command."""
    call_command("load", no_progress=True, verbosity=0)


@pytest.fixture
def standards_dir() -> Path:
    if not STANDARDS.is_dir():
        pytest.fail(
            f"The standards are expected at {STANDARDS} (the shared/ folder beside the repository)."
        )
    return STANDARDS
