from __future__ import annotations

from pathlib import Path

import pytest

from app.confidence.evaluate import evaluate_csv

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "population"


@pytest.fixture(scope="module")
def population() -> dict[str, object]:
    if not (DATA / "claims.csv").exists():
        pytest.skip(f"Population benchmark not found at {DATA}")
    return evaluate_csv(DATA / "claims.csv", DATA / "truth.csv")


def test_population_beats_majority_vote(population: dict[str, object]) -> None:
    mv = population["majority_vote"]
    assert isinstance(mv, dict)
    assert population["items"] == 301
    assert mv["accuracy"] == pytest.approx(0.807, abs=1e-3)
    assert population["accuracy"] >= mv["accuracy"]  # type: ignore[operator]
    assert population["ece"] < mv["ece"]  # type: ignore[operator]
    assert population["seconds"] < 10  # type: ignore[operator]


def test_population_calibration_target(population: dict[str, object]) -> None:
    assert population["ece"] <= 0.10  # type: ignore[operator]


def test_population_accuracy_target(population: dict[str, object]) -> None:
    assert population["accuracy"] >= 0.85  # type: ignore[operator]
