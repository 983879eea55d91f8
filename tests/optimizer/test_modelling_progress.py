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
