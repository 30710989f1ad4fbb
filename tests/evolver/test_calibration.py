"""Spearman's rank correlation on known values, and ``segp evolver calibrate`` on the
offline model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared import bootstrap
from shared.cli import main
from shared.config import Settings
from shared.evolver.calibration import CALIBRATION_SET, calibrate, ranks, spearman
from tests.evolver.conftest import model_calls
from tests.support.fake_gemini import FakeGemini


def test_ties_share_the_mean_of_their_ranks() -> None:
    assert ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]


@pytest.mark.parametrize(
    ("x", "y", "rho"),
    [
        ([1, 2, 3, 4, 5], [2, 4, 6, 8, 10], 1.0),
        ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], -1.0),
        ([1, 2, 3, 4, 5], [5, 6, 7, 8, 7], 0.8207826816681233),  # scipy.stats.spearmanr
        ([1, 2, 3, 4, 5, 6], [1, 3, 2, 5, 4, 6], 1 - 6 * 4 / (6 * 35)),  # 1 - 6Σd²/(n(n²-1))
    ],
)
def test_spearman_matches_known_values(x: list[float], y: list[float], rho: float) -> None:
    assert spearman(x, y) == pytest.approx(rho)


def test_spearman_is_undefined_without_variation() -> None:
    assert spearman([1, 2, 3], [4, 4, 4]) is None
    assert spearman([1], [2]) is None


def test_the_labelled_set_has_one_voice_and_outputs_best_first() -> None:
    labelled = json.loads(CALIBRATION_SET.read_text())
    assert labelled["voice"]["semantic_fingerprint"]["avoid"]
    assert len(labelled["outputs"]) >= 8


def test_calibrate_on_the_offline_model_ranks_the_set_with_a_positive_correlation(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.setenv("MODEL_PROVIDER", "offline")
    try:
        assert main(["evolver", "calibrate"]) == 0
    finally:
        bootstrap.configure(settings)
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "offline" and report["scored"] == report["outputs"]
    assert report["spearman"] > 0


def test_calibrate_uses_the_configured_model_and_reports_its_ranking(
    settings: Settings, fake_gemini: FakeGemini
) -> None:
    fake_gemini.configure(settings, MODEL_MAX_ATTEMPTS=1)
    outputs = len(json.loads(CALIBRATION_SET.read_text())["outputs"])
    for i in range(outputs):  # a critic that ranks the set exactly backwards
        fake_gemini.script_json(
            {
                "score": round(0.1 + 0.1 * i, 2),
                "shouldImprove": True,
                "issues": [],
                "suggestions": [],
                "voiceConsistency": 0.5,
            }
        )
    report = calibrate()
    assert model_calls(fake_gemini) == outputs
    assert report["spearman"] == -1.0
