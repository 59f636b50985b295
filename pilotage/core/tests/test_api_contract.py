"""The OpenAPI schema is the contract: `schemathesis run --checks all` on the whole
schema, anonymously and with a partner's token, finds no failure.

Pilotage is served as in production (gunicorn, two workers, DEBUG off) on a database of
its own holding the shipped data, and schemathesis runs as an operator would run it,
from its command line: every check (server errors, statuses, content types, bodies and
headers as documented, schema-valid requests accepted, schema-violating ones refused,
authentication as documented), every phase (examples, coverage, fuzzing, stateful). A
short pass: a few examples per operation, a new seed each run (printed, to replay a
failure with `--seed`). Run once, on PostgreSQL, the production database.

gunicorn reads request lines of any length here (`--limit-request-line=0`): the schema
bounds each parameter (codes, at most 20 values), not a whole address, so a schema-valid
request can be longer than gunicorn's default 4,094 bytes (the deployment notes in the
README say so).
"""

from __future__ import annotations

import re
import subprocess

import pytest
from django.db import connection

from config.api import api
from pilotage.core.tests.servers import BIN, command, environment, fresh_database, gunicorn

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="run once, on the production database"
    ),
]

EXAMPLES = 15
# A partner editor of the organisation leading the most actions, and its token.
PARTNER = """
from django.db.models import Count
from pilotage.accounts.models import Role
from pilotage.accounts.services import token_issue, user_create
from pilotage.registry.models import Organisation

lead = Organisation.objects.annotate(n=Count("led_actions")).order_by("-n", "code").first()
staff = user_create(actor=None, email="staff@example.org", role=Role.STEERING)
partner = user_create(
    actor=None, email="partner@example.org", role=Role.PARTNER_EDITOR, organisation=lead
)
print(token_issue(actor=staff, user=partner, name="schemathesis")[1])
"""


def test_schemathesis_finds_no_failure_anonymously_nor_with_a_partner_token(tmp_path):
    with fresh_database(tmp_path, "api_contract") as url:
        command(url, tmp_path, "load", "--no-progress")
        key = command(url, tmp_path, "shell", "-c", PARTNER).strip().splitlines()[-1]
        unlimited = {name: "0" for name in ("API", "API_TOKEN", "PAGE", "EXPORT")}
        env = environment(
            url,
            tmp_path,
            **{f"PILOTAGE_{name}_RATE_LIMIT": value for name, value in unlimited.items()},
        )
        runs = {}
        with gunicorn(
            env, workers=2, log=tmp_path / "server.log", options=("--limit-request-line=0",)
        ) as [base]:
            for client, headers in (
                ("anonymous", []),
                ("partner", ["--header", f"Authorization: Bearer {key}"]),
            ):
                runs[client] = subprocess.run(  # noqa: S603 (our own command line)
                    [
                        str(BIN / "schemathesis"),
                        "run",
                        f"{base}/api/v1/openapi.json",
                        "--checks=all",
                        f"--max-examples={EXAMPLES}",
                        "--workers=1",
                        "--generation-database=none",
                        "--no-color",
                        *headers,
                    ],
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
    failed = {client: _failures(run.stdout) for client, run in runs.items() if run.returncode}
    assert not failed, "\n\n".join(f"=== {client}\n{output}" for client, output in failed.items())
    operations = sum(len(methods) for methods in api.get_openapi_schema()["paths"].values())
    for run in runs.values():
        # Every operation of the schema was tested, and every case passed.
        assert re.search(r"Tested: (\d+)", run.stdout).group(1) == str(operations)
        generated, passed = re.search(r"(\d+) generated, (\d+) passed", run.stdout).groups()
        assert int(generated) > EXAMPLES * operations / 2 and generated == passed


def _failures(output: str) -> str:
    """What schemathesis says of its failures (from its FAILURES section), and its seed."""
    start = max(output.find("= FAILURES ="), output.find("= ERRORS ="), 0)
    return output[start : start + 12000] + output[output.rfind("Seed:") :]
