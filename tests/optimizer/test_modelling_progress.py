"""What a design's first progress line says: the model it fits and to how many responses,
or, when the optimizer fits none (the first generation has no responses), that it spreads
the experiments over the space. Before, the first generation said "fitting the model to 0
responses"."""

from __future__ import annotations

from sigopt_like.service.domain.codes import Codec, EncodedHistory
from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.design import gathered_history, without_model
from sigopt_like.service.task_kinds import modelling_progress

from .conftest import factorial


def _said(values: list[float | None]) -> tuple[str, str]:
    space = factorial()
    codec = Codec(space)
    points = design_batch(space, [], batch_size=len(values), seed=0) if values else []
    encoded = EncodedHistory([codec.encode(p) for p in points], values, [])
    responses = sum(1 for v in values if v is not None)
    return modelling_progress(responses, without_model(gathered_history(space, encoded)))


def test_no_responses_is_no_model() -> None:
    assert _said([]) == (
        "spreading experiments",
        "no responses yet: spreading the experiments over the space",
    )
    assert _said([None, None])[1].startswith("no responses yet: ")


def test_too_few_or_equal_responses_are_no_model_either() -> None:
    phase, message = _said([1.5, None, 2.5])
    assert phase == "spreading experiments"
    assert message.startswith("responses at 2 experiments (a model needs 3): spreading"), message
    assert _said([0.5, None])[1].startswith("responses at 1 experiment (a model needs 3)")
    assert _said([2.0, 2.0, 2.0, 2.0])[1].startswith("every response is the same: ")


def test_a_model_says_how_many_responses_it_is_fitted_to() -> None:
    assert _said([1.0, 2.0, None, 4.0, 3.0]) == (
        "fitting model",
        "fitting the model to 4 responses",
    )


def _history(space, gens: int = 2, size: int = 12) -> list[tuple[tuple, float]]:
    """``gens`` generations of ``size`` designed points with made-up responses."""
    observations: list[tuple[tuple, float]] = []
    for gen in range(gens):
        for point in design_batch(space, observations, batch_size=size, seed=gen):
            observations.append((tuple(point), float(sum(hash(str(v)) % 7 for v in point))))
    return observations


def test_a_model_based_design_tells_its_steps_and_designs_the_same() -> None:
    """``on_step`` hears "scoring" once the model is fitted (to the scored points) and
    "choosing" once the candidate pool is made, and the batch is the one designed
    without it, byte for byte (factorial and mixture spaces)."""
    from .conftest import mixture

    for space in (factorial(), mixture()):
        observations = _history(space)
        told: list[tuple[str, int]] = []
        heard = design_batch(
            space,
            observations,
            batch_size=12,
            seed=7,
            on_step=lambda s, n, into=told: into.append((s, n)),
        )
        assert heard == design_batch(space, observations, batch_size=12, seed=7)
        assert [step for step, _ in told] == ["scoring", "choosing"], told
        assert told[0][1] == len({p for p, _ in observations}), told
        assert told[1][1] >= 12, told


def test_a_first_generations_spreading_tells_its_choosing_step_and_designs_the_same() -> None:
    """A first generation (no responses: no model) whose Latin-hypercube draw leaves the
    batch short completes it by maximin over a pool of candidates, as long as a model's
    choice: ``on_step`` hears "choosing" with the pool's size, and the batch is the one
    designed without it, byte for byte. Before, a first generation told no step at all
    while later generations did. (A batch the draw fills alone has no step to tell.)"""
    from pathlib import Path

    from sigopt_like.spaces import Space

    data = Path(__file__).resolve().parents[1] / "data" / "esd-factorial-4x8.csv"
    space = Space.from_csv(data.read_text(), type="factorial")
    told: list[tuple[str, int]] = []
    heard = design_batch(
        space, [], batch_size=600, seed=7, on_step=lambda s, n: told.append((s, n))
    )
    assert heard == design_batch(space, [], batch_size=600, seed=7)
    assert [step for step, _ in told] == ["choosing"], told
    assert told[0][1] >= 1, told


class _Clock:
    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_a_slow_designs_steps_are_written_rising_within_its_share() -> None:
    """A design whose steps each come a second apart: each is written, its fraction
    rising within ``low``..``high`` (never past it), its message saying the step."""
    from sigopt_like.service.design_progress import DesignProgress

    written: list[tuple[str, float, str]] = []
    told = DesignProgress(lambda *w: written.append(w), 0.5, 0.86, 30, clock=_Clock(1.0))
    told.begin("fitting model", "fitting the model to 30 responses")
    told.step("scoring", 30)
    told.step("choosing", 2500)
    told.chosen(30)
    assert [phase for phase, _, _ in written] == [
        "fitting model",
        "scoring candidates",
        "choosing batch",
        "choosing batch",
    ]
    fractions = [fraction for _, fraction, _ in written]
    assert fractions == sorted(fractions) and fractions[0] == 0.5 and fractions[-1] < 0.86
    assert written[1][2] == "scoring candidate experiments with the model fitted to 30 experiments"
    assert written[2][2] == "choosing 30 of 2,500 candidate experiments"


def test_a_fast_designs_steps_write_nothing_more() -> None:
    """A design whose steps come at once (a small generation of a long simulate): only
    its first line and its end are written, one write fewer than before (its "scoring
    candidates" line was written before the fit, whatever the design's pace)."""
    from sigopt_like.service.design_progress import DesignProgress

    written: list[tuple[str, float, str]] = []
    told = DesignProgress(lambda *w: written.append(w), 0.1, 0.9, 12, clock=_Clock(0.001))
    told.begin("fitting model", "fitting the model to 12 responses")
    told.step("scoring", 12)
    told.step("choosing", 500)
    told.chosen(12)
    assert [message for _, _, message in written] == [
        "fitting the model to 12 responses",
        "chose 12 experiments",
    ]


def test_a_design_of_one_says_it_chose_one_experiment() -> None:
    """Before: "chose 1 experiments"."""
    from sigopt_like.service.design_progress import DesignProgress

    written: list[tuple[str, float, str]] = []
    told = DesignProgress(lambda *w: written.append(w), 0.1, 0.9, 1, clock=_Clock(0.001))
    told.begin("fitting model", "fitting the model to 4 responses")
    told.chosen(1)
    assert written[-1][2] == "chose 1 experiment"
