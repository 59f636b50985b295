"""The open-data files are built once per version of the data, then served from disk."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.http import FileResponse

from pilotage.core.revisions import ChangeKind, changed
from pilotage.opendata import files
from pilotage.registry.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exports(tmp_path, settings):
    settings.PILOTAGE_EXPORTS_DIR = str(tmp_path)
    cache.clear()
    return tmp_path


@pytest.fixture
def builds(monkeypatch) -> list:
    """The files built, in order."""
    built = []
    writing = files._writing

    def counted(path, chunks):
        built.append(path)
        yield from writing(path, chunks)

    monkeypatch.setattr(files, "_writing", counted)
    return built


def _body(response) -> bytes:
    # The test client closes the response (and its file) once read, as a WSGI server does.
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "name",
    ["organisations.csv", "organisations.xlsx", "organisations.parquet", "pilotage.zip"],
)
def test_two_downloads_build_the_file_once(client, exports, builds, name):
    OrganisationFactory(code="ORG-ONE")

    first = client.get(f"/exports/{name}")
    body = _body(first)  # streamed as it is built: its first bytes leave at once
    second = client.get(f"/exports/{name}")

    assert first.status_code == second.status_code == 200
    assert not isinstance(first, FileResponse)
    assert isinstance(second, FileResponse)
    assert body == _body(second)
    assert len(builds) == 1
    assert builds[0].parent.parent == exports
    assert [path.name for path in builds[0].parent.iterdir()] == [name]  # no temporary left
    assert second["Content-Disposition"] == f'attachment; filename="{name}"'


def test_a_new_revision_builds_the_file_again(client, exports, builds):
    OrganisationFactory(code="ORG-ONE")
    first = _body(client.get("/exports/organisations.csv"))

    changed(ChangeKind.STRUCTURE)
    again = _body(client.get("/exports/organisations.csv"))
    _body(client.get("/exports/organisations.csv"))

    assert again == first
    assert len(builds) == 2
    assert builds[0].parent != builds[1].parent  # one folder per version


def test_an_organisation_changed_is_in_the_next_download(client, exports, builds):
    """Registry writes do not move the revision; the exports' version follows them too."""
    organisation = OrganisationFactory(code="ORG-ONE", name="Ancien nom")
    assert b"Ancien nom" in _body(client.get("/exports/organisations.csv"))

    organisation.name = "Nouveau nom"
    organisation.save()
    body = _body(client.get("/exports/organisations.csv"))

    assert b"Nouveau nom" in body
    assert b"Ancien nom" not in body
    assert len(builds) == 2


def test_a_client_that_has_the_file_gets_304(client, exports, builds):
    OrganisationFactory(code="ORG-ONE")
    _body(client.get("/exports/organisations.csv"))  # built as it streams
    first = client.get("/exports/organisations.csv")
    _body(first)

    by_tag = client.get("/exports/organisations.csv", HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get(
        "/exports/organisations.csv", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )

    assert first["ETag"].startswith('"') and first["ETag"].endswith('-organisations.csv"')
    assert by_tag.status_code == by_date.status_code == 304, (by_tag, by_date)
    assert by_tag["ETag"] == first["ETag"]
    assert len(builds) == 1
    changed(ChangeKind.STRUCTURE)
    assert (
        client.get("/exports/organisations.csv", HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == 200
    )


def test_concurrent_requests_wait_for_the_one_build(exports):
    runs = []

    def chunks():
        runs.append(1)
        time.sleep(0.3)  # long enough for the others to find the lock taken
        yield b"a,b\n"
        yield b"1,2\n"

    paths = []
    threads = [
        threading.Thread(
            target=lambda: paths.append(files.export_file("x.csv", chunks, version="v1"))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(runs) == 1
    assert len(paths) == 4 and len(set(paths)) == 1
    assert paths[0].read_bytes() == b"a,b\n1,2\n"


def test_a_failed_build_leaves_no_file_and_no_lock(exports):
    def broken():
        yield b"a,b\n"
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        files.export_file("x.csv", broken, version="v1")

    assert list((exports / "v1").iterdir()) == []
    path = files.export_file("x.csv", lambda: [b"a\n"], version="v1")  # the next one builds
    assert path.read_bytes() == b"a\n"


def test_without_a_folder_each_download_is_streamed_as_it_is_built(client, settings, builds):
    settings.PILOTAGE_EXPORTS_DIR = ""
    OrganisationFactory(code="ORG-ONE")

    response = client.get("/exports/organisations.csv")

    assert b"ORG-ONE" in b"".join(response.streaming_content)
    assert builds == []


def test_a_change_committed_after_a_later_one_builds_the_file_again(client, exports, builds):
    """Ids are taken before the commit: the log's last id may stay as it was."""
    from pilotage.core.revisions import Change

    OrganisationFactory(code="ORG-ONE")
    last = Change.objects.create(kind=ChangeKind.STRUCTURE)
    Change.objects.filter(pk=last.pk).update(id=last.pk + 10)
    _body(client.get("/exports/organisations.csv"))

    Change.objects.create(pk=last.pk + 5, kind=ChangeKind.STRUCTURE)  # the slower writer
    _body(client.get("/exports/organisations.csv"))

    assert len(builds) == 2


def test_a_release_that_writes_the_files_otherwise_builds_them_again(
    client, exports, builds, monkeypatch
):
    """Files built by an older release (say, before formula-like texts were quoted) are
    not served by the new one, even on the same day with the same data."""
    OrganisationFactory(code="ORG-ONE")
    _body(client.get("/exports/organisations.csv"))
    _body(client.get("/exports/organisations.csv"))
    assert len(builds) == 1

    monkeypatch.setattr(files, "_writers_version", lambda: "another-release")
    _body(client.get("/exports/organisations.csv"))

    assert len(builds) == 2
    assert builds[0].parent != builds[1].parent


def test_a_download_finding_the_file_being_built_streams_its_own_copy(client, exports, builds):
    """It never waits for another worker's build (a large file, or D4WMO's graph)."""
    OrganisationFactory(code="ORG-ONE")
    version = files.exports_version()
    cache.add(files._lock(version, "organisations.csv"), 1234, timeout=60)  # another builds

    started = time.monotonic()
    response = client.get("/exports/organisations.csv")
    body = _body(response)

    assert time.monotonic() - started < files.WAIT_STEP * 5
    assert b"ORG-ONE" in body and not isinstance(response, FileResponse)
    assert builds == []  # the builder's file is its own
    assert not (exports / version / "organisations.csv").exists()


def test_a_download_left_halfway_leaves_no_file_and_no_lock(client, exports, builds):
    OrganisationFactory(code="ORG-ONE")
    version = files.exports_version()
    response = client.get("/exports/organisations.csv")
    iterator = iter(response.streaming_content)
    next(iterator)

    response.close()  # the client went away, as a WSGI server says it

    assert list((exports / version).iterdir()) == []
    assert cache.get(files._lock(version, "organisations.csv")) is None


def test_the_d4wmo_export_is_built_once_then_served_as_a_file(client, exports, builds):
    OrganisationFactory(code="ORG-ONE")

    first = _body(client.get("/exports/d4wmo.ttl"))
    second = client.get("/exports/d4wmo.ttl")

    assert first == _body(second)
    assert isinstance(second, FileResponse)
    assert [path.name for path in builds] == ["pilotage-d4wmo.ttl"]
    assert second["Content-Type"] == "text/turtle; charset=utf-8"


def test_a_person_who_refuses_display_leaves_the_next_d4wmo_file(client, exports, builds):
    """Registry writes do not move the revision: D4WMO's version follows the persons."""
    from pilotage.registry.models import Person

    person = Person.objects.create(
        code="alice", given_name="Alice", family_name="Martin", display_refusal=False
    )
    assert b"Martin" in _body(client.get("/exports/d4wmo.ttl"))

    person.display_refusal = True
    person.save()

    assert b"Martin" not in _body(client.get("/exports/d4wmo.ttl"))
    assert len(builds) == 2
