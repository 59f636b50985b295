from django.http import HttpResponse, StreamingHttpResponse

from pilotage.opendata.d4wmo import d4wmo_export
from pilotage.opendata.exports import indicators_csv


def indicators_csv_view(request):
    """Every indicator with its status and explanation, as CSV, streamed."""
    response = StreamingHttpResponse(indicators_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="indicators.csv"'
    return response


def d4wmo_view(request, format: str):
    """Pilotage's public records in Digital Wallonia's data model (D4WMO-AP)."""
    media = {"ttl": "text/turtle", "jsonld": "application/ld+json"}[format]
    response = HttpResponse(
        d4wmo_export(format="json-ld" if format == "jsonld" else "turtle"),
        content_type=f"{media}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pilotage-d4wmo.{format}"'
    return response
