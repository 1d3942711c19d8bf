"""Schemathesis against the generated OpenAPI document: no input the schema allows (or almost allows)
makes the API answer 5xx or break its own response schema. Bounded: a few examples per operation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from .conftest import ConsoleEnv

pytestmark = pytest.mark.slow
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}


@pytest.mark.parametrize("mode", list(EXAMPLES))
def test_api_never_errors_and_keeps_its_schema(
    make_env: Callable[[str], ConsoleEnv], sqlite_url: str, mode: GenerationMode
) -> None:
    env = make_env(sqlite_url)
    headers = {"Authorization": f"Bearer {env.token('admin')}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", env.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    seen: list[tuple[str, int]] = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES[mode], deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            seen.append((case.operation.label, response.status_code))
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            )
            if response.status_code < 300:
                case.validate_response(response, checks=[response_schema_conformance])

        run()
    assert {label for label, _ in seen} == {op.label for op in operations}
    if mode == GenerationMode.POSITIVE:
        assert any(status < 300 for _, status in seen)
    else:
        assert any(status == 422 for _, status in seen)  # malformed input is refused, not crashed on
