"""schemathesis exercises every operation of the OpenAPI schema the app serves, with
generated inputs on the shipped data: no server error, and every answer (status, content
type, body) as the schema documents it. Bounded: a few examples per operation."""

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = 50
# Half the generated cases get real codes in their path, so the detail endpoints answer
# with data too, and lose their generated Authorization header, so reads are public.
REAL = {
    "code": {
        "strategies": "PM40",
        "actions": "DW-CAMPAGNES-CYBERSECURITE",
        "taxonomies": "provinces",
        "organisations": "AWEX",
        "indicators": "DW-CHEQUES-CYBER-COMPANIES",
    },
    "node": "II.1",
}


@pytest.fixture
def connection_kept():
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction (Django's test client does the same disconnection)."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says(shipped_data, connection_kept):
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    seen: dict[str, set[int]] = {}
    failures = {}
    for operation in operations:
        try:
            _exercise(operation, checks, seen.setdefault(operation.label, set()))
        except Exception as error:  # gather them all, then report
            failures[operation.label] = error
    assert not failures, "\n\n".join(f"{label}: {error}" for label, error in failures.items())
    # Every operation was reached.
    assert all(seen.values()), seen


def _exercise(operation, checks, statuses: set[int]) -> None:
    @given(case=operation.as_strategy(), real=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case, real):
        if real:
            collection = operation.path.split("/")[3]
            for name in case.path_parameters or {}:
                value = REAL.get(name)
                case.path_parameters[name] = (
                    value.get(collection, "x") if isinstance(value, dict) else value
                )
            if case.headers:
                case.headers.pop("Authorization", None)
        statuses.add(case.call_and_validate(checks=checks).status_code)

    exercise()
