"""Schemathesis against the real server: requests generated from the demo's document, each
response checked against it (no 5xx, every status and media type documented, bodies that
match their schemas).

The document is the one the server serves at ``/docs/openapi.json``, checked first to be the
one ``generate(...)`` writes for the project in a fresh interpreter (support.openapi).
"""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.boltproc import serve
from support.openapi import project_document
from support.projects import copy_demo

#: Examples per operation and generation mode: the whole run stays well under 90 s.
EXAMPLES = int(os.environ.get("BOLT_ST_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed_demo(tmp_path_factory, demo_db, driver):
    """A copy of the demo (database included) that schemathesis may write to and delete from,
    served on one core."""
    project = copy_demo(tmp_path_factory.mktemp("st") / "demo", "staticfiles", "media")
    server = serve(cores=1, driver=driver, cwd=project)
    yield project, next(server)
    next(server, None)


def _fuzz(operation, base_url: str, mode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case):
        case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=10)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_the_server_answers_as_documented(fuzzed_demo, mode):
    project, server = fuzzed_demo
    base_url = f"http://127.0.0.1:{server.port}"
    served = httpx.get(f"{base_url}/docs/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == project_document(project)
    schema = schemathesis.openapi.from_dict(served.json())
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    for operation in operations:
        try:
            _fuzz(operation, base_url, mode)
        except Unsatisfiable:
            # Negative mode on an operation whose every input is a free string (or that takes
            # none): there is no invalid request to make.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as e:  # noqa: BLE001 - every failure is reported at once
            failures.append(f"--- {operation.label}\n{str(e)[:1500]}")
    assert not failures, f"{len(failures)} operations fail:\n" + "\n".join(failures)
