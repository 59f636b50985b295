"""Shared pytest fixtures."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

# The standards the tests validate against, shipped with their licence (standards/LICENSE).
STANDARDS = Path(settings.BASE_DIR) / "standards"


@pytest.fixture
def shipped_data(db):
    """The shipped data files, loaded by the real command."""
    call_command("load", no_progress=True, verbosity=0)


@pytest.fixture
def standards_dir() -> Path:
    if not STANDARDS.is_dir():
        pytest.fail(f"The standards are expected at {STANDARDS} (shipped in the repository).")
    return STANDARDS


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in French, whatever language an earlier request activated."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test's database starts anew, its revisions too: so does the cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_read_model():
    """Each test's database starts anew; so does this process's read model."""
    from pilotage.indicators.readmodel import read_model_reset

    read_model_reset()
    yield
    read_model_reset()


@pytest.fixture(autouse=True)
def fresh_magnet_index():
    """Each test's database starts anew; so does the in-memory magnet index."""
    from pilotage.registry.magnets import magnet_index_reset

    magnet_index_reset()
    yield
    magnet_index_reset()
