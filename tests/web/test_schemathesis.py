"""The JSON API fuzzed from its own OpenAPI schema (Schemathesis) against a real server.

Correctness test of the server's robustness, not of the mathematics: every operation of
`/openapi.json` gets schema-conforming and schema-violating requests (random strings as
expressions, odd declarations, orders, layouts, wrong types, missing fields) sent to
`matdiff serve` on loopback (the `live_server` fixture). Each answer must come within the
server's time limit plus a margin (no hang), must not be a 5xx other than the 504 of the
time limit (no bug, no crash), must be JSON, and an error must carry a message and no
Python traceback. The number of examples per operation is bounded for CI
(`MATDIFF_FUZZ_EXAMPLES`, default 25, so the module runs in about a minute).
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from matdiff.parse import MAX_DEPTH  # noqa: E402

EXAMPLES = int(os.environ.get("MATDIFF_FUZZ_EXAMPLES", "25"))
# live_server runs with the default time limit of 10 s; a hang is anything well past it.
ANSWER_WITHIN_S = 30.0


@pytest.fixture(scope="module")
def api_schema(live_server):
    return schemathesis.openapi.from_url(live_server + "/openapi.json")


def _assert_sound(response) -> None:
    status = response.status_code
    assert status < 500 or status == 504, (status, response.text[:500])
    assert "Traceback" not in response.text
    body = response.json()
    assert isinstance(body, dict)
    if status >= 400:
        message = body.get("error", {}).get("message")
        assert isinstance(message, str) and message.strip(), body
    else:
        assert status == 200, status


# Schemathesis's own pytest plugin (`from_fixture`) does not run under pytest 9, so the
# cases are drawn from its Hypothesis strategies directly, one operation at a time.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors_no_hangs(api_schema, live_server, mode):
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 8  # every endpoint of the API is in the schema
    statuses: dict[int, int] = {}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET":
            continue  # nothing to violate: the GETs take no parameters

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case) -> None:
            response = case.call(base_url=live_server, timeout=ANSWER_WITHIN_S)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            _assert_sound(response)

        fuzz()
    # The run did reach the server with both kinds of outcome it can have.
    assert statuses.get(422, 0) > 0, statuses
    if mode is GenerationMode.POSITIVE:
        assert statuses.get(200, 0) > 0, statuses


def test_time_limit_and_size_limits_hold(live_server):
    """The limits the fuzzing above leans on, checked directly: an over-long expression,
    an over-large body and nesting past the parser's limit are refused (422/413), the
    deepest admitted nesting is answered, and the server still answers after."""
    import httpx

    with httpx.Client(base_url=live_server, timeout=ANSWER_WITHIN_S, trust_env=False) as c:
        long = c.post("/api/derivative", json={"expression": "x+" * 3000 + "x", "wrt": "x"})
        assert long.status_code == 422 and "limit" in long.json()["error"]["message"]
        big = c.post("/api/derivative", content=b"{" + b" " * 2_000_000 + b"}",
                     headers={"content-type": "application/json"})
        assert big.status_code == 413
        k = MAX_DEPTH - 1  # sin( k times around sum(x): MAX_DEPTH levels
        deep = c.post("/api/derivative",
                      json={"expression": "sin(" * k + "sum(x)" + ")" * k, "wrt": "x"})
        assert deep.status_code == 200, deep.text[:300]  # the deepest admitted text works
        deeper = c.post("/api/derivative", json={
            "expression": "sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "wrt": "x"})
        assert deeper.status_code == 422 and "nested" in deeper.json()["error"]["message"]
        assert c.get("/api/health").status_code == 200
