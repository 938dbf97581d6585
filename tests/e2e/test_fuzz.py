"""Fuzz `tabstop serve` over stdio with hypothesis: raw bytes and hostile JSON-RPC (see tests/fuzzing.py).

A few hundred cases in the normal run against ONE server process (it has to
survive all of them); `benchmarks/fuzz_server.py` runs thousands. The server
runs with tiny generations (`maxTokens` 2, 400 ms deadline) for speed, but it is
the real server with the real model, and it must still complete correctly at the end.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzzing import FuzzHarness, cases
from tests.rawlsp import RawServer

pytestmark = pytest.mark.model
EXAMPLES = int(os.environ.get("TABSTOP_FUZZ_EXAMPLES", "250"))


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    server = RawServer(log)
    h = FuzzHarness(server)
    h.setup()
    h.log = log
    yield h
    print("\nfuzz:", h.stats.line(), dict(h.stats.outcomes))
    server.close()


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(case=cases)
def test_every_request_answered_and_server_survives(harness, case):
    harness.run_case(case)


def test_real_completion_after_the_fuzz(harness):
    assert harness.stats.cases >= EXAMPLES * 0.9, "the fuzz test did not run"
    assert harness.stats.unanswered == 0 and harness.stats.crashes == 0 and harness.stats.duplicates == 0
    reply = harness.real_completion()
    items = reply["result"]["items"]
    assert items and items[0]["insertText"].strip() == "a - b", reply
    assert harness.server.alive() and harness.server.output_errors == []
