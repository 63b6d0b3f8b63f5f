"""The OpenAPI document is the contract: schemathesis sends what it allows (and what it does
not) to the app in-process, over a fixture run, with every check on; 0 findings."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from convlens.server import Settings, create_app  # noqa: E402
from convlens.testing import make_fixture_run  # noqa: E402

HOST = {"Host": "127.0.0.1"}


def _findings(schema) -> dict[str, str]:  # noqa: ANN001
    """Every operation of ``schema`` tried in both modes; what failed, by operation."""
    findings: dict[str, str] = {}
    for result, mode in itertools.product(schema.get_all_operations(), GenerationMode):
        op = result.ok()

        @given(case=op.as_strategy(mode))
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # noqa: ANN001
            # An upload is "binary" to OpenAPI, which cannot say "a PNG or JPEG": random bytes
            # are schema-valid and rightly refused (415, documented), so that one operation
            # skips the check that schema-valid data is accepted.
            skip = [positive_data_acceptance] if case.operation.path == "/api/uploads" else []
            # no speed is tested here: a model request on a loaded 2-core machine, beside the
            # background jobs earlier cases started, may take longer than schemathesis's 10 s
            case.call_and_validate(headers=HOST, excluded_checks=skip, timeout=120)

        try:
            check()
        except Unsatisfiable:  # nothing to send wrong: no parameters (or only a free string)
            assert mode is GenerationMode.NEGATIVE, op.label
        except Exception as err:  # every operation is tried; the findings are listed together
            findings[f"{op.label} ({mode.value})"] = str(err)[:1500]
    return findings


def test_every_route_keeps_its_documented_contract(tmp_path: Path) -> None:
    run = make_fixture_run(tmp_path / "runs", epochs=2)
    app = create_app(run.parent, Settings(static_dir=tmp_path))  # the API only
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=HOST).exclude(
        path_regex="graph"  # laying a graph out takes seconds a call: tests/test_server*.py
    )
    findings = _findings(schema)
    assert not findings, "\n\n".join(f"{k}:\n{v}" for k, v in findings.items())


def test_the_run_document_is_the_runs_contract(tmp_path: Path) -> None:
    """Narrowed to the fixture run (its layers per view, classes, channels): every value the
    document allows is accepted, every other value refused with a documented 4xx."""
    run = make_fixture_run(tmp_path / "runs", epochs=2)
    app = create_app(run.parent, Settings(static_dir=tmp_path))
    schema = schemathesis.openapi.from_asgi(
        f"/api/runs/{run.name}/openapi.json", app, headers=HOST
    ).exclude(path_regex="graph")
    findings = _findings(schema)
    assert not findings, "\n\n".join(f"{k}:\n{v}" for k, v in findings.items())
