"""Pages and downloads are limited per address, in the cache every worker shares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from pilotage.core.cache import TABLE
from pilotage.core.ratelimit import hit

pytestmark = pytest.mark.django_db

DATABASE_CACHE = {
    "default": {"BACKEND": "pilotage.core.cache.DatabaseCache", "LOCATION": TABLE},
}


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


@override_settings(PILOTAGE_PAGE_RATE_LIMIT=2, PILOTAGE_EXPORT_RATE_LIMIT=0)
def test_pages_past_the_limit_get_429_in_the_language_of_their_address(client):
    statuses = [client.get("/exports/").status_code for _ in range(2)]
    refused = client.get("/exports/")
    dutch = client.get("/nl/exports/")

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 61
    page = refused.content.decode()
    assert "Trop de requêtes" in page
    assert "Cette adresse a envoyé plus de 2 requêtes par minute." in page
    assert dutch.status_code == 429
    assert "Te veel verzoeken" in dutch.content.decode()
    assert dutch["Content-Language"] == "nl"
    # Another address has its own count; the API is not the pages' business.
    assert client.get("/exports/", REMOTE_ADDR="10.0.0.2").status_code == 200
    assert client.get("/api/v1/taxonomies/").status_code == 200


@override_settings(PILOTAGE_PAGE_RATE_LIMIT=100, PILOTAGE_EXPORT_RATE_LIMIT=1)
def test_downloads_have_their_own_tighter_limit(client):
    first = client.get("/exports/provinces.csv")
    b"".join(first.streaming_content)
    refused = client.get("/exports/organisations.csv")
    zip_refused = client.get("/exports/pilotage.zip")

    assert first.status_code == 200
    assert refused.status_code == zip_refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert "Trop de requêtes" in refused.content.decode()
    assert client.get("/exports/").status_code == 200  # the index is a page


@override_settings(
    PILOTAGE_PAGE_RATE_LIMIT=1, PILOTAGE_CLIENT_ADDRESS_HEADER="HTTP_X_FORWARDED_FOR"
)
def test_behind_a_proxy_each_client_has_its_own_count(client):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    first = client.get("/exports/", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    other = client.get("/exports/", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    # What the client wrote before the proxy's entry changes nothing.
    forged = client.get("/exports/", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", **proxy)

    assert (first.status_code, other.status_code, forged.status_code) == (200, 200, 429)


@override_settings(PILOTAGE_PAGE_RATE_LIMIT=0, PILOTAGE_EXPORT_RATE_LIMIT=0)
def test_a_limit_of_zero_limits_nothing(client):
    assert {client.get("/exports/").status_code for _ in range(5)} == {200}


@override_settings(CACHES=DATABASE_CACHE)
def test_the_database_cache_counts_a_client_in_its_table():
    """The migrations made the table; add then incr count there, past the limit a wait."""
    assert [hit("pages", "10.0.0.1", 3) for _ in range(3)] == [None, None, None]
    retry = hit("pages", "10.0.0.1", 3)
    other = hit("pages", "10.0.0.9", 3)

    assert retry is not None and 1 <= retry <= 61
    assert other is None
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-added")
    cache.add("counter", 40)
    assert cache.incr("counter") == 41
    assert cache.incr("counter", 2) == 43
    assert cache.get("counter") == 43


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers: PostgreSQL's case, as in production (run by CI's PostgreSQL suite)",
)
@pytest.mark.django_db(transaction=True)
def test_workers_counting_at_once_lose_no_count():
    """Four connections incrementing one key together (PostgreSQL: concurrent writers).
    Django's own DatabaseCache, a read then a write, kept 24 of these 100 counts."""
    with override_settings(CACHES=DATABASE_CACHE):
        cache.add("together", 0, timeout=60)
        start = threading.Barrier(4)

        def count() -> None:
            start.wait()
            for _ in range(25):
                cache.incr("together")
            connection.close()

        threads = [threading.Thread(target=count) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = cache.get("together")
        cache.delete("together")

    assert total == 100


@pytest.mark.parametrize(
    ("variables", "backend", "location"),
    [
        ({}, "pilotage.core.cache.DatabaseCache", TABLE),
        (
            {"REDIS_URL": "redis://cache:6379/1"},
            "django.core.cache.backends.redis.RedisCache",
            "redis://cache:6379/1",
        ),
        (
            {"PILOTAGE_CACHE_URL": "redis://other:6379/0", "REDIS_URL": "redis://cache:6379/1"},
            "django.core.cache.backends.redis.RedisCache",
            "redis://other:6379/0",
        ),
    ],
)
def test_the_cache_comes_from_the_environment(variables, backend, location):
    """The settings every environment shares pick the cache from PILOTAGE_CACHE_URL, then
    REDIS_URL, the database's table by default."""
    env = {k: v for k, v in os.environ.items() if k not in ("PILOTAGE_CACHE_URL", "REDIS_URL")}
    script = "from django.conf import settings; import json; print(json.dumps(settings.CACHES))"
    output = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", script],
        env=env | variables | {"DJANGO_SETTINGS_MODULE": "config.settings.base"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    chosen = json.loads(output)["default"]

    assert (chosen["BACKEND"], chosen["LOCATION"]) == (backend, location)
