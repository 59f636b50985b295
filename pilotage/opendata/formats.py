"""The files of the open-data exports: each collection as CSV, XLSX, JSON, Parquet and,
for located records, GeoJSON; every collection's CSV in one zip with its Frictionless
Data Package descriptor.

Each writer is a generator of bytes reading its collection chunk by chunk, so memory stays
flat whatever the size: the web streams it (StreamingHttpResponse) and `pilotage export`
writes it to a file, the same bytes. XLSX is the exception that proves it: a workbook is a
zip whose directory comes last, so it is written to a temporary file (openpyxl's
write-only mode keeps no rows in memory) and then streamed.

CSV and XLSX are opened by spreadsheets: each of their texts that starts like a formula
gets a quote before it (`core.spreadsheets.quoted`), and an XLSX text is always a text
cell. JSON, GeoJSON and Parquet keep the texts as they are.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.db import connection

from pilotage.core.spreadsheets import FORMULA_STARTS, quoted_row, xlsx_row
from pilotage.opendata.exports import COLLECTIONS, Collection

FORMATS = ("csv", "xlsx", "json", "parquet", "geojson")
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "geojson": "application/geo+json",
    "zip": "application/zip",
}
BATCH = 5000
PARQUET_BATCH = 50_000
READ_SIZE = 1 << 16
PARQUET_COPY_SIZE = 1 << 22
XLSX_ROWS = 1_048_575  # a worksheet's rows (1,048,576) less its header

Progress = Callable[[int], object]


def _nothing(count: int) -> None:
    return None


def formats_of(collection: Collection) -> list[str]:
    """The formats a collection comes in: GeoJSON only for located records."""
    return [f for f in FORMATS if f != "geojson" or collection.located]


def filename(collection: Collection, format: str) -> str:
    return f"{collection.name}.{format}"


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# -- CSV ---------------------------------------------------------------------------------


class _LineFeeds:
    """The file csv.writer writes to, given rows ending in CRLF, each written once: they
    end in LF here. Python's csv quotes only the characters of its line terminator, and
    a text holding a bare CR must be quoted too: a spreadsheet starts a row there, and
    would run a "=" after it."""

    def __init__(self, target: io.StringIO):
        self.target = target

    def write(self, line: str) -> int:
        return self.target.write(line[:-2] + "\n")


def csv_chunks(collection: Collection, progress: Progress = _nothing) -> Iterator[bytes]:
    """UTF-8 CSV, header first, lines ending in LF; an empty cell for a missing value; a
    text that starts like a formula with a quote before it (`quoted`)."""
    buffer = io.StringIO()
    writer = csv.writer(_LineFeeds(buffer), lineterminator="\r\n")
    writer.writerow(collection.columns)
    if collection.copy_query is not None and connection.vendor == "postgresql":
        yield buffer.getvalue().encode()
        yield from _copy_csv(collection, progress, quote=True)
        return
    for batch in _batches(collection.rows(), BATCH):
        writer.writerows(quoted_row(row) for row in batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        progress(len(batch))
    if buffer.tell():
        yield buffer.getvalue().encode()


def _copy_csv(
    collection: Collection, progress: Progress, size: int = READ_SIZE, *, quote: bool = False
) -> Iterator[bytes]:
    """The rows by PostgreSQL's COPY of the collection's own query, streamed as the server
    sends them. Its CSV is csv.writer's for these columns (minimal quoting, LF, ISO dates,
    numerics as stored, NULL as an empty cell), texts `quoted` by the database when
    `quote` (Parquet reads it raw); a test on PostgreSQL holds them equal."""
    sql, params = collection.copy_query().query.sql_with_params()
    if quote:
        sql = _quoted_sql(collection, sql)
    with connection.cursor() as wrapper:
        # psycopg's own cursor: Django's debug wrapper (DEBUG, or a test counting queries)
        # takes no parameters for COPY.
        cursor = getattr(wrapper, "cursor", wrapper)
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            pending, gathered = [], 0
            for block in copy:  # a row at a time: gathered into chunks of whole rows
                pending.append(bytes(block))
                gathered += len(block)
                if gathered >= size:
                    data = b"".join(pending)
                    pending, gathered = [], 0
                    progress(data.count(b"\n"))
                    yield data
            if pending:
                data = b"".join(pending)
                progress(data.count(b"\n"))
                yield data


def _quoted_sql(collection: Collection, sql: str) -> str:
    """The query with `quoted` done by PostgreSQL on its text columns: the same quote
    before the same starts, so COPY's CSV stays csv.writer's of `quoted_row`. (The
    subquery keeps its order: PostgreSQL never flattens one that sorts.)"""
    names = [f"c{index}" for index in range(len(collection.fields))]
    starts = ", ".join(f"chr({ord(start)})" for start in FORMULA_STARTS)
    columns = [
        f"CASE WHEN left({text}, 1) IN ({starts}) THEN '''' || {text} ELSE {text} END"
        if field.type == "string"
        else name
        for name, field in zip(names, collection.fields, strict=True)
        for text in [f"{name}::text"]
    ]
    # Only our own column names and Django's compiled query (its values stay parameters).
    return f"SELECT {', '.join(columns)} FROM ({sql}) AS copied ({', '.join(names)})"  # noqa: S608


# -- JSON and GeoJSON --------------------------------------------------------------------
# JSON, GeoJSON and Parquet keep every text as it is: they are data, not spreadsheets, and
# none of their readers runs a formula.


def _plain(value):
    """Decimals as strings (exact, as the API gives them), dates in ISO."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _object(columns: list[str], row) -> dict:
    return {column: _plain(value) for column, value in zip(columns, row, strict=True)}


def json_chunks(collection: Collection, progress: Progress = _nothing) -> Iterator[bytes]:
    """One JSON array of objects, streamed."""
    columns = collection.columns
    first = True
    yield b"["
    for batch in _batches(collection.rows(), BATCH):
        text = ",\n".join(
            json.dumps(_object(columns, row), ensure_ascii=False, separators=(",", ":"))
            for row in batch
        )
        yield (("\n" if first else ",\n") + text).encode()
        first = False
        progress(len(batch))
    yield b"\n]\n"


def geojson_chunks(collection: Collection, progress: Progress = _nothing) -> Iterator[bytes]:
    """A FeatureCollection: each record's fields as properties, its geometry (null when it
    has no location)."""
    if not collection.located:
        raise ValueError(f"{collection.name} has no geometry.")
    columns = collection.columns
    pairs = zip(collection.rows(), collection.geometries(), strict=True)
    first = True
    yield b'{"type":"FeatureCollection","features":['
    for batch in _batches(pairs, BATCH):
        text = ",\n".join(
            json.dumps(
                {
                    "type": "Feature",
                    "id": row[0],
                    "properties": _object(columns, row),
                    "geometry": geometry,
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for row, geometry in batch
        )
        yield (("\n" if first else ",\n") + text).encode()
        first = False
        progress(len(batch))
    yield b"\n]}\n"


# -- XLSX --------------------------------------------------------------------------------


ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _SteadyZip(zipfile.ZipFile):
    """A zip whose entries carry a fixed time, so the same data give the same bytes."""

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=ZIP_TIME)
            zinfo_or_arcname.compress_type = self.compression
        return super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        info = zipfile.ZipInfo(arcname or str(filename), date_time=ZIP_TIME)
        info.compress_type = self.compression
        with open(filename, "rb") as source, self.open(info, "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, READ_SIZE)


def xlsx_chunks(collection: Collection, progress: Progress = _nothing) -> Iterator[bytes]:
    """One sheet, header first (more when the rows outgrow a worksheet), written in
    openpyxl's write-only mode; dated by when its records last changed, so the same data
    give the same bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook(write_only=True)
    moment = collection.modified() or datetime.datetime(2000, 1, 1)
    moment = moment.replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = moment
    sheets = 0
    room = 0
    for batch in _batches(collection.rows(), BATCH):
        for row in batch:
            if room == 0:  # a sheet holds at most XLSX_ROWS rows: the next one follows
                sheets += 1
                sheet = workbook.create_sheet(
                    collection.name[:25] + (f" ({sheets})" if sheets > 1 else "")
                )
                sheet.append(collection.columns)
                room = XLSX_ROWS
            sheet.append(xlsx_row(sheet, row))
            room -= 1
        progress(len(batch))
    if sheets == 0:
        workbook.create_sheet(collection.name[:31]).append(collection.columns)
    with tempfile.TemporaryFile() as file:
        with _SteadyZip(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(workbook, archive).write_data()
        file.seek(0)
        while chunk := file.read(READ_SIZE):
            yield chunk


# -- Parquet -----------------------------------------------------------------------------


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream that keeps what was written until drained."""

    def __init__(self):
        super().__init__()
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def arrow_schema(collection: Collection):
    import pyarrow as pa

    types = {"string": pa.string(), "integer": pa.int64(), "date": pa.date32()}
    types |= {"boolean": pa.bool_(), "number": pa.float64()}
    return pa.schema(
        [
            pa.field(f.name, pa.decimal128(*f.digits) if f.digits else types[f.type])
            for f in collection.fields
        ]
    )


def _arrow_column(values, field, arrow_type):
    import pyarrow as pa

    if field.type == "number" and not field.digits:
        values = [None if v is None else float(v) for v in values]
    elif field.type == "string":
        values = [None if v is None else str(v) for v in values]
    return pa.array(values, type=arrow_type)


def parquet_chunks(collection: Collection, progress: Progress = _nothing) -> Iterator[bytes]:
    """Parquet, a row group per batch (exact decimals where the database keeps them)."""
    import pyarrow.parquet as pq

    schema = arrow_schema(collection)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="snappy")
    if collection.copy_query is not None and connection.vendor == "postgresql":
        batches = _arrow_batches_from_copy(collection, schema)
    else:
        batches = _arrow_batches(collection, schema)
    try:
        for batch in batches:
            writer.write_batch(batch)
            progress(batch.num_rows)
            yield sink.drain()
    finally:
        writer.close()
    yield sink.drain()


def _arrow_batches(collection: Collection, schema) -> Iterator:
    import pyarrow as pa

    for batch in _batches(collection.rows(), PARQUET_BATCH):
        columns = list(zip(*batch, strict=True))
        arrays = [
            _arrow_column(values, field, schema.field(index).type)
            for index, (values, field) in enumerate(zip(columns, collection.fields, strict=True))
        ]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _arrow_batches_from_copy(collection: Collection, schema) -> Iterator:
    """On PostgreSQL: the COPY CSV of the collection's query, parsed by Arrow's CSV reader
    into the export's types, a few MiB of whole rows at a time (PostgreSQL sends one row
    per message), never in Python row by row. NULL (unquoted) stays null; a quoted empty
    string stays a string. Parsed here, in the request's thread: a reader of its own
    would read ahead in other threads, where Django's connection is not this one."""
    import pyarrow.csv as arrow_csv

    read = arrow_csv.ReadOptions(column_names=collection.columns, use_threads=False)
    convert = arrow_csv.ConvertOptions(
        column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    for data in _copy_csv(collection, _nothing, size=PARQUET_COPY_SIZE):
        table = arrow_csv.read_csv(io.BytesIO(data), read_options=read, convert_options=convert)
        yield from table.to_batches()


WRITERS = {
    "csv": csv_chunks,
    "xlsx": xlsx_chunks,
    "json": json_chunks,
    "parquet": parquet_chunks,
    "geojson": geojson_chunks,
}


def export_chunks(
    collection: Collection, format: str, progress: Progress = _nothing
) -> Iterator[bytes]:
    """The bytes of one collection in one format, chunk by chunk."""
    if format not in formats_of(collection):
        raise ValueError(f"{collection.name} does not come as {format}.")
    return WRITERS[format](collection, progress)


# -- The data package --------------------------------------------------------------------

LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}


def table_schema(collection: Collection) -> dict:
    fields = []
    for f in collection.fields:
        item = {"name": f.name, "type": f.type}
        if f.description:
            item["description"] = f.description
        if f.name in collection.primary_key:
            item["constraints"] = {"required": True}
        fields.append(item)
    schema: dict = {"fields": fields}
    if collection.primary_key:
        schema["primaryKey"] = list(collection.primary_key)
    return schema


def datapackage(collections: Iterable[Collection] | None = None) -> dict:
    """The Frictionless Data Package descriptor of the bulk download."""
    collections = list(COLLECTIONS.values() if collections is None else collections)
    return {
        "name": "pilotage",
        "title": "Pilotage — open data",
        "description": "Every public collection of Pilotage as CSV (UTF-8), the same rows "
        "as the pages and the API. A text starting with =, +, -, @, a tab or a carriage "
        "return has a ' before it, so that no spreadsheet runs it as a formula.",
        "homepage": f"{settings.PILOTAGE_BASE_URI}exports/",
        "licenses": [LICENCE],
        "resources": [
            {
                "name": collection.name,
                "title": collection.title["en"],
                "description": collection.description["en"],
                "path": filename(collection, "csv"),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema(collection),
            }
            for collection in collections
        ],
    }


def zip_chunks(progress: Progress = _nothing) -> Iterator[bytes]:
    """Every collection as CSV and datapackage.json, in one zip written as it streams
    (entries with data descriptors, ZIP64 so no size is too large)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for collection in COLLECTIONS.values():
            info = zipfile.ZipInfo(filename(collection, "csv"), date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as entry:
                for chunk in csv_chunks(collection, progress):
                    entry.write(chunk)
                    if sink.chunks:
                        yield sink.drain()
        descriptor = json.dumps(datapackage(), ensure_ascii=False, indent=2).encode()
        info = zipfile.ZipInfo("datapackage.json", date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, descriptor)
        yield sink.drain()
    yield sink.drain()
