"""Every collection in every format opens and holds the same rows as the API and the
selectors; nothing that is not public ever leaves; the command line writes the same bytes."""

import csv
import dataclasses
import datetime
import io
import json
import zipfile
from decimal import Decimal

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from pilotage.budgets.selectors import budget_lines
from pilotage.core.tests.exact import agrees, exact_json
from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.formats import csv_chunks, formats_of, parquet_chunks
from pilotage.strategies.models import Strategy

pytestmark = pytest.mark.django_db

CASES = [(name, f) for name, c in COLLECTIONS.items() for f in formats_of(c)]


def download(client, name: str, format: str) -> bytes:
    response = client.get(reverse("opendata:export", args=[name, format]))
    assert response.status_code == 200, (name, format)
    assert response.streaming
    return b"".join(response.streaming_content)


def typed(field, value):
    """One cell, whatever format it came from, as one comparable value."""
    if value is None or value == "":
        return None
    if field.type == "number":
        # Spreadsheets keep numbers as floats; the other formats keep them exact.
        return round(float(value), 9)
    if field.type == "integer":
        return int(value)
    if field.type == "boolean":
        return value if isinstance(value, bool) else value in ("True", "true")
    if field.type == "date":
        if isinstance(value, datetime.datetime):
            return value.date()
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    return str(value)


def read(collection, format: str, content: bytes) -> list[dict]:
    if format == "csv":
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
    elif format == "json":
        rows = json.loads(content)
    elif format == "geojson":
        data = json.loads(content)
        assert data["type"] == "FeatureCollection"
        rows = [feature["properties"] for feature in data["features"]]
    elif format == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
        header, *body = list(sheet.values)
        # A row's trailing empty cells are not stored: they read as absent.
        padding = [(None,) * (len(header) - len(values)) for values in body]
        rows = [
            dict(zip(header, values + pad, strict=True))
            for values, pad in zip(body, padding, strict=True)
        ]
    else:
        table = pq.read_table(io.BytesIO(content))
        assert table.column_names == collection.columns
        rows = table.to_pylist()
    for row in rows:
        assert list(row) == collection.columns, (collection.name, format)
    return [{f.name: typed(f, row[f.name]) for f in collection.fields} for row in rows]


@pytest.mark.parametrize(("name", "format"), CASES)
def test_every_format_holds_the_same_rows_as_the_csv(client, open_data, name, format):
    collection = COLLECTIONS[name]
    reference = read(collection, "csv", download(client, name, "csv"))
    assert reference, name
    assert read(collection, format, download(client, name, format)) == reference


@pytest.mark.parametrize(("name", "format"), CASES)
def test_nothing_unpublished_draft_or_personal_leaves(client, open_data, name, format):
    content = download(client, name, format)
    if format == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
        text = json.dumps([list(map(str, row)) for row in sheet.values], ensure_ascii=False)
    elif format == "parquet":
        text = json.dumps(pq.read_table(io.BytesIO(content)).to_pylist(), default=str)
    else:
        text = content.decode("utf-8")
    for secret in open_data.hidden:
        assert secret not in text, (name, format, secret)


def csv_rows(client, name: str) -> list[dict]:
    content = download(client, name, "csv")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def blank(value) -> str:
    return "" if value is None else str(value)


def test_strategies_nodes_actions_are_the_apis(client, open_data):
    api = exact_json(client.get("/api/v1/strategies/"))["items"]
    rows = csv_rows(client, "strategies")
    assert [row["code"] for row in rows] == sorted(item["code"] for item in api) == ["PUB"]
    for row, item in zip(rows, sorted(api, key=lambda item: item["code"]), strict=True):
        for column in ("title", "status", "period_start", "owner", "nodes"):
            assert agrees(row[column], item[column]), column

    nodes = client.get("/api/v1/strategies/PUB/nodes/").json()["items"]
    rows = csv_rows(client, "nodes")
    assert [(r["strategy"], r["code"], r["parent"]) for r in rows] == [
        (n["strategy"], n["code"], blank(n["parent"])) for n in nodes
    ]

    actions = client.get("/api/v1/actions/").json()
    rows = csv_rows(client, "actions")
    assert actions["count"] == len(rows) == 1
    item, row = actions["items"][0], rows[0]
    assert row["code"] == item["code"] == "ACT-PUBLIC"
    assert row["nodes"].split(";") == item["nodes"]
    assert row["target_audiences"].split(";") == item["target_audiences"]
    assert row["start_date"] == item["start_date"] and row["lead"] == item["lead"]


def test_indicators_and_observations_are_the_apis(client, open_data):
    api = {item["code"]: item for item in exact_json(client.get("/api/v1/indicators/"))["items"]}
    rows = csv_rows(client, "indicators")
    assert sorted(api) == [row["code"] for row in rows] == ["IND-NODE", "IND-PUBLIC"]
    for row in rows:
        assessment = api[row["code"]]["assessment"]
        for column in ("status", "actual", "progress", "expected", "ratio", "target_value"):
            assert agrees(row[column], assessment[column]), (row["code"], column)
        assert row["explanation"] == assessment["explanation"]

    values = exact_json(client.get("/api/v1/observations/"))["items"]
    rows = csv_rows(client, "observations")
    assert len(rows) == len(values) == 4
    for row, item in zip(rows, values, strict=True):
        assert (row["indicator"], row["period_start"], row["period_end"]) == (
            item["indicator"],
            item["period_start"],
            item["period_end"],
        )
        assert (
            row["value"] == ""
            if item["value"] is None
            else Decimal(row["value"]) == Decimal(item["value"])
        )
        assert row["qualifier"] == item["qualifier"]


def test_budgets_are_the_selectors_and_the_reconciliation(client, open_data):
    rows = csv_rows(client, "budget-lines")
    public = budget_lines(strategy__in=Strategy.objects.public()).order_by("code")
    assert [row["code"] for row in rows] == [line.code for line in public]
    assert [row["code"] for row in rows] == ["PUB-1", "PUB-2", "PUB-TOTAL"]
    assert {row["code"]: Decimal(row["amount"]) for row in rows}["PUB-1"] == Decimal("1000.50")

    api = exact_json(client.get("/api/v1/budgets/reconciliation?strategy=PUB"))["items"]
    rows = csv_rows(client, "budget-totals")
    assert len(rows) == len(api) == 1
    for column in ("code", "declared", "computed", "difference", "parts", "document"):
        assert agrees(rows[0][column], api[0][column]), column
    assert rows[0]["difference"] == "-0.50"


def test_budget_execution_is_the_apis_for_the_strategy_and_each_node(client, open_data):
    rows = csv_rows(client, "budget-execution")
    columns = ("year", "source", "planned", "committed", "paid", "budget", "paid_rate")
    scopes = {(row["strategy"], row["node"]) for row in rows}
    assert {strategy for strategy, _node in scopes} == {"PUB"}  # never the draft's money
    for strategy, node in sorted(scopes):
        query = {"strategy": strategy} | ({"node": node} if node else {})
        cells = exact_json(client.get("/api/v1/budgets/execution", query))["cells"]
        mine = [row for row in rows if (row["strategy"], row["node"]) == (strategy, node)]
        assert len(mine) == len(cells), node
        for row, cell in zip(mine, cells, strict=True):
            assert all(agrees(row[c], cell[c]) for c in columns), (node, row, cell)
    assert len(scopes) == 3  # the strategy, its top node and the node below


def test_organisations_terms_and_provinces(client, open_data):
    api = client.get("/api/v1/organisations/").json()["items"]
    rows = csv_rows(client, "organisations")
    assert rows == [{key: blank(value) for key, value in item.items()} for item in api]

    features = json.loads(download(client, "organisations", "geojson"))["features"]
    geometry = {feature["id"]: feature["geometry"] for feature in features}
    assert len(geometry) == len(rows)
    assert geometry["ORG-LOCATED"] == {"type": "Point", "coordinates": [4.8675, 50.4669]}
    assert geometry["ORG-NOWHERE"] is None

    terms = client.get("/api/v1/taxonomies/provinces/terms/").json()["items"]
    rows = [row for row in csv_rows(client, "terms") if row["taxonomy"] == "provinces"]
    assert [row["code"] for row in rows] == [term["code"] for term in terms]

    provinces = json.loads(download(client, "provinces", "geojson"))["features"]
    assert len(provinces) == len(csv_rows(client, "provinces")) >= 5
    namur = next(p for p in provinces if p["id"] == "namur")
    assert namur["properties"]["organisations"] == 1
    assert namur["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_an_unknown_collection_or_format_is_not_found(client, open_data):
    assert client.get("/exports/persons.csv").status_code == 404
    assert client.get("/exports/strategies.geojson").status_code == 404
    assert client.get("/exports/strategies.exe").status_code == 404


def test_the_page_lists_every_collection_in_every_format_and_each_link_works(client, open_data):
    response = client.get(reverse("opendata:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>" in page and '<table class="indicators">' in page and 'scope="col"' in page
    for name, format in CASES:
        href = reverse("opendata:export", args=[name, format])
        assert f'href="{href}"' in page, href
    for href in (
        reverse("opendata:zip"),
        reverse("opendata:catalogue", args=["ttl"]),
        reverse("opendata:catalogue", args=["jsonld"]),
    ):
        assert f'href="{href}"' in page
        assert client.get(href).status_code == 200


@pytest.mark.parametrize(("name", "format"), CASES)
def test_the_command_writes_the_same_bytes_as_the_web(client, open_data, tmp_path, name, format):
    path = tmp_path / f"out.{format}"
    call_command("export", format, name, output=str(path), no_progress=True)
    assert path.read_bytes() == download(client, name, format)


def test_the_command_writes_the_zip_and_the_catalogue_as_the_web(client, open_data, tmp_path):
    call_command("export", "zip", output=str(tmp_path / "all.zip"), no_progress=True)
    web = b"".join(client.get(reverse("opendata:zip")).streaming_content)
    assert (tmp_path / "all.zip").read_bytes() == web
    call_command("export", "dcat", output=str(tmp_path / "catalogue.ttl"))
    assert (tmp_path / "catalogue.ttl").read_bytes() == client.get("/exports/catalogue.ttl").content


def test_the_command_refuses_what_does_not_exist(open_data, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Name a collection"):
        call_command("export", "csv", "persons", output=str(tmp_path / "x"))
    with pytest.raises(CommandError, match="not geojson"):
        call_command("export", "geojson", "strategies", output=str(tmp_path / "x"))


def test_the_bulk_zip_is_a_valid_data_package(client, open_data, tmp_path):
    import frictionless

    content = b"".join(client.get(reverse("opendata:zip")).streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    assert sorted(names) == sorted(["datapackage.json", *(f"{name}.csv" for name in COLLECTIONS)])
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    schemas = {resource["name"]: resource["schema"] for resource in descriptor["resources"]}
    assert schemas["observations"]["primaryKey"] == ["indicator", "period_start", "period_end"]
    for name in COLLECTIONS:
        assert (tmp_path / f"{name}.csv").read_bytes() == download(client, name, "csv")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_on_postgresql_copy_gives_the_same_csv_and_parquet_as_the_python_rows(open_data):
    collection = COLLECTIONS["observations"]
    copied = b"".join(csv_chunks(collection))
    written = b"".join(csv_chunks(dataclasses.replace(collection, copy_query=None)))
    assert copied == written
    assert copied.count(b"\n") == 1 + 4
    from_copy = pq.read_table(io.BytesIO(b"".join(parquet_chunks(collection))))
    from_rows = pq.read_table(
        io.BytesIO(b"".join(parquet_chunks(dataclasses.replace(collection, copy_query=None))))
    )
    assert from_copy.schema == from_rows.schema
    assert from_copy.to_pylist() == from_rows.to_pylist()


def test_a_workbook_continues_on_a_new_sheet_when_one_is_full(client, open_data, monkeypatch):
    monkeypatch.setattr("pilotage.opendata.formats.XLSX_ROWS", 2)
    content = download(client, "observations", "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert workbook.sheetnames == ["observations", "observations (2)"]
    rows = [row for sheet in workbook.worksheets for row in list(sheet.values)[1:]]
    assert len(rows) == len(csv_rows(client, "observations")) == 4
