from django.http import StreamingHttpResponse

from pilotage.opendata.exports import indicators_csv


def indicators_csv_view(request):
    """Every indicator with its status and explanation, as CSV, streamed."""
    response = StreamingHttpResponse(indicators_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="indicators.csv"'
    return response
