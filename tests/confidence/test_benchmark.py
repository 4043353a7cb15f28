"""The engine on the real Population benchmark (``../shared/benchmarks/population``).

The data lives outside the repository. Where it is looked for, first found wins:
``CLAIMDESK_SHARED``, ``../shared`` next to this checkout, and, for a ``git worktree``,
next to the main checkout (``tests/shared_data.py``). Without it these tests
skip on a developer's machine but FAIL under CI (``CI`` set, as .ci/run does): the only
real-data checks must never vanish silently. Timing belongs to ``scripts/bench.py``.
"""

from __future__ import annotations

import pytest

from app.confidence.evaluate import evaluate_csv
from tests.confidence.scores import baseline, score
from tests.shared_data import shared_path


@pytest.fixture(scope="module")
def population() -> dict[str, object]:
    data = shared_path("benchmarks", "population")
    return evaluate_csv(data / "claims.csv", data / "truth.csv")


def test_population_beats_majority_vote(population: dict[str, object]) -> None:
    mv = baseline(population)
    assert population["items"] == 301
    assert score(mv, "accuracy") == pytest.approx(0.807, abs=1e-3)
    assert score(population, "accuracy") >= score(mv, "accuracy")
    assert score(population, "ece") < score(mv, "ece")


def test_population_calibration_target(population: dict[str, object]) -> None:
    assert score(population, "ece") <= 0.10


def test_population_accuracy_target(population: dict[str, object]) -> None:
    assert score(population, "accuracy") >= 0.87
