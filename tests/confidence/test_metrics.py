from __future__ import annotations

import pytest

from app.confidence.metrics import accuracy, expected_calibration_error, majority_vote, spearman


def test_accuracy() -> None:
    assert accuracy([True, False, True, True]) == 0.75
    assert accuracy([]) == 0.0


def test_ece() -> None:
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([0.9, 0.9], [True, False]) == pytest.approx(0.4)
    # two bins: 0.25 (acc 0) and 0.75 (acc 1) → each off by .25
    assert expected_calibration_error([0.25, 0.75], [False, True]) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [])


def test_majority_vote() -> None:
    assert majority_vote([3, 5, 5, 3, 7]) == (3, 0.4)
    assert majority_vote(["a"]) == ("a", 1.0)


def test_spearman() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(0.866, abs=1e-3)
    assert spearman([1], [2]) == 0.0
