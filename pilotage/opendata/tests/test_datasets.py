"""Each collection's page and the exports index: figures computed by the code equal those
counted here from the files themselves; fields from the collection's definition; the
first rows as the CSV holds them; nothing that is not public."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.timezone import localtime

from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.formats import formats_of
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import Action
from pilotage.strategies.tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["files", "streamed"])
def exports(request, tmp_path, settings):
    """With a folder of built files, and without (each size counted as it streams)."""
    settings.PILOTAGE_EXPORTS_DIR = str(tmp_path) if request.param == "files" else ""
    cache.clear()
    return tmp_path


def download(client, name: str) -> bytes:
    response = client.get(f"/exports/{name}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def csv_rows(client, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(download(client, f"{name}.csv").decode(), newline="")))


@pytest.mark.parametrize("name", list(COLLECTIONS))
def test_each_page_gives_rows_and_sizes_equal_to_the_files(client, open_data, exports, name):
    page = client.get(f"/exports/{name}/")
    html = page.content.decode()

    assert page.status_code == 200
    header, *rows = csv_rows(client, name)
    assert page.context["dataset"].rows == len(rows)
    assert f"<dt>Lignes</dt>\n    <dd>{len(rows)}</dd>" in html
    sizes = {file.format: file.size for file in page.context["dataset"].files}
    assert set(sizes) == set(formats_of(COLLECTIONS[name]))
    for format, size in sizes.items():
        assert size == len(download(client, f"{name}.{format}")), format
        assert f'<data value="{size}">' in html
    assert header == COLLECTIONS[name].columns


def test_the_index_lists_every_collection_with_its_figures(client, open_data, exports):
    html = client.get("/exports/").content.decode()

    for name, collection in COLLECTIONS.items():
        _header, *rows = csv_rows(client, name)
        line = html[html.index(f'href="/exports/{name}/"') :]
        line = line[: line.index("</tr>")]
        assert f'<td class="number">{len(rows)}</td>' in line, name
        assert escape(collection.title["fr"]) in line
        for format in formats_of(collection):
            assert f'href="/exports/{name}.{format}"' in line
    assert 'href="/exports/organisations.geojson"' in html
    assert 'href="/exports/actions.geojson"' not in html


def test_the_page_says_what_the_collection_holds_in_french(client, open_data, exports):
    html = client.get("/exports/actions/").content.decode()

    collection = COLLECTIONS["actions"]
    assert "<h1>Actions <span" in html
    assert escape(collection.description["fr"]) in html
    for title in ("Fichiers", "Champs", "Aperçu", "Entrée du catalogue"):
        assert f">{title}</h2>" in html
    for field in collection.fields:
        assert f'<span class="code">{field.name}</span>' in html
    assert 'date <span class="code">date</span>' in html  # start_date's type
    assert 'texte <span class="code">string</span>' in html
    assert '<span class="code">code</span> <em>(clé)</em>' in html
    assert "<td>codes des termes, séparés par ;</td>" in html  # the definition's, translated
    assert "term codes separated by ;" not in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in html
    assert "https://pilotage.example.org/exports/datasets/actions" in html
    assert "https://pilotage.example.org/exports/actions.parquet" in html
    modified = max(a.updated_at for a in Action.objects.all() if a.code != "ACT-HIDDEN")
    assert collection.modified() == modified
    assert date_format(localtime(modified), "DATETIME_FORMAT") in html


def test_the_preview_is_the_first_ten_rows_of_the_csv(client, open_data, exports):
    for index in range(12):
        OrganisationFactory(code=f"ORG-{index:02}", name=f'=HYPERLINK("x","{index}")')

    page = client.get("/exports/organisations/")
    html = page.content.decode()

    _header, *rows = csv_rows(client, "organisations")
    preview = [list(row) for row in page.context["dataset"].preview]
    assert len(rows) > 10 and preview == rows[:10]
    assert preview[0][1] == '\'=HYPERLINK("x","0")'  # quoted, as in the CSV
    assert "Les 10 premières lignes, comme dans le fichier CSV" in html
    cells = re.findall(r"<td>(.*?)</td>", html[html.index('id="dataset-preview"') :])
    assert escape('\'=HYPERLINK("x","0")') in cells
    assert 'role="region" tabindex="0" aria-labelledby="dataset-preview-caption"' in html


@pytest.mark.parametrize("path", ["/exports/", *(f"/exports/{name}/" for name in COLLECTIONS)])
def test_no_page_shows_a_draft_a_person_or_an_address(client, open_data, exports, path):
    html = client.get(path).content.decode()

    for hidden in open_data.hidden:
        assert hidden not in html, (path, hidden)


def test_the_catalogue_iri_of_a_dataset_leads_to_its_page(client, open_data):
    response = client.get("/exports/datasets/actions")

    assert response.status_code == 302 and response["Location"] == "/exports/actions/"
    assert client.get("/exports/datasets/nothing").status_code == 404
    assert client.get("/exports/nothing/").status_code == 404


def _queries(client, path: str) -> tuple[int, int]:
    """The queries of the page's first view (its figures counted) and of a later one."""
    counts = []
    for _view in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts.append(len(queries))
    return counts[0], counts[1]


@pytest.mark.parametrize("path", ["/exports/", "/exports/actions/", "/exports/organisations/"])
def test_the_pages_queries_do_not_grow_with_the_rows(client, open_data, exports, path):
    node = open_data.action.nodes.first()
    client.get("/")  # the read model, built once per process
    few = _queries(client, path)
    cache.clear()
    for index in range(40):
        ActionFactory(code=f"ACT-MORE-{index:02}").nodes.set([node])
        OrganisationFactory(code=f"ORG-MORE-{index:02}")
    client.get("/")

    many = _queries(client, path)

    assert many == few
    assert few[1] <= 8  # a later view reads the figures from the cache
