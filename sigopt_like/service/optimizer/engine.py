"""The engine: from a space view and its history to the codes of the next batch.

One routine serves batch designs (factorial and mixture spaces) and SigOpt
single suggestions: the first generation is space-filling, later ones are
chosen by a surrogate model over a candidate pool (see ``portfolio``).
"""

from __future__ import annotations

import attrs
import numpy as np

from .engine_types import DesignSteps
from .history import History
from .views import View, greedy_maximin


@attrs.frozen
class Settings:
    """Tunable knobs of the engine (defaults are the tuned ones)."""

    min_scored: int = 3
    """Fewer scored distinct points than this: stay space-filling."""
    pool_size: int = 4000
    """Candidate pool size when the space is not enumerated."""
    gp_max_points: int = 350
    """Above this many scored points the surrogate is a tree ensemble."""


def why_no_model(hist: History, settings: Settings = Settings()) -> str | None:
    """Why :func:`propose` spreads a batch over the space instead of fitting a model to
    ``hist`` (said to a person), or None when it fits one."""
    scored = len(hist.scored)
    if scored < settings.min_scored:
        if scored == 0:
            return "no responses yet"
        return (
            f"responses at {scored} experiment{'s' if scored != 1 else ''} (a model needs "
            f"{settings.min_scored})"
        )
    with np.errstate(over="ignore"):  # means 3.4e308 apart: the spread is inf, not flat
        flat = scored and np.ptp(hist.means) <= 1e-12 * max(1.0, float(np.abs(hist.means).max()))
    return "every response is the same" if flat else None


def untested_rows(codes: np.ndarray, existing: np.ndarray) -> np.ndarray:
    """Rows of ``codes`` that are not rows of ``existing``, first occurrence only, in order."""
    codes = np.asarray(codes, dtype=float)
    if len(codes) == 0:
        return codes
    existing = np.asarray(existing, dtype=float).reshape(-1, codes.shape[1])
    ids = _integer_ids(codes, existing)
    if ids is None:
        # each row's bytes, without a Python call per value: a tuple of floats per row
        # took 3 s of a generation of 4,000 candidates on 3,000 parameters (+ 0.0: -0.0
        # and 0.0 are one code, as they were as tuples)
        seen = set(_row_bytes(existing))
        keep = []
        for i, k in enumerate(_row_bytes(codes)):
            if k not in seen:
                seen.add(k)
                keep.append(i)
        return codes[np.array(keep, dtype=np.int64)] if keep else codes[:0]
    own, other = ids
    fresh = ~np.isin(own, other)
    _, first = np.unique(own, return_index=True)
    is_first = np.zeros(len(codes), dtype=bool)
    is_first[first] = True
    return codes[is_first & fresh]


def _row_bytes(rows: np.ndarray) -> list[bytes]:
    """Each row's float values as bytes (equal rows, equal bytes)."""
    flat = np.ascontiguousarray(rows + 0.0)
    return [bytes(r) for r in flat]


def _integer_ids(codes: np.ndarray, existing: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Mixed-radix integer ids for integral non-negative codes (None if not possible)."""
    both = np.vstack([codes, existing]) if len(existing) else codes
    # Non-integral, negative or beyond exact float integers (2**53): no id (and no cast warning).
    if np.any(both < 0) or np.any(both != np.round(both)) or np.any(both >= 2.0**53):
        return None
    radix = both.max(axis=0).astype(np.int64) + 1
    # in logs: the product of 2,000 radices overflows a float (a RuntimeWarning a user saw)
    if float(np.log2(radix.astype(float)).sum()) >= 62:
        return None
    mult = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]]).astype(np.int64)
    as_int = both.astype(np.int64) @ mult
    return as_int[: len(codes)], as_int[len(codes) :]


def propose(
    view: View,
    hist: History,
    batch_size: int,
    rng: np.random.Generator,
    settings: Settings = Settings(),
    pending: np.ndarray | None = None,
    on_step: DesignSteps | None = None,
) -> np.ndarray:
    """Codes of up to ``batch_size`` distinct untested feasible points.

    ``pending`` codes (open suggestions, already among ``hist.codes``)
    are treated as fantasy observations by the model-based step; ``on_step`` is told
    its steps as they begin (:data:`~.engine_types.DesignSteps`).
    """
    if batch_size <= 0:
        return np.zeros((0, view.n_params))
    full = view.enumerate()
    untested = untested_rows(full, hist.codes) if full is not None else None
    if untested is not None and len(untested) <= batch_size:
        return untested
    if why_no_model(hist, settings) is not None:
        return space_filling(view, hist, batch_size, rng, untested, on_step)
    from .portfolio import model_batch

    batch = model_batch(view, hist, batch_size, rng, untested, settings, pending, on_step)
    if len(batch) < batch_size and untested is None:
        # the model's candidates are a sample, not what is left: late in a large space
        # most of them are tested, and the rest of the batch is drawn from the space
        batch = fill_maximin(view, hist, batch, batch_size, rng, untested)
    return batch


def space_filling(
    view: View,
    hist: History,
    batch_size: int,
    rng: np.random.Generator,
    untested: np.ndarray | None,
    on_step: DesignSteps | None = None,
) -> np.ndarray:
    """A Latin-hypercube-like / maximin design, avoiding every tested point; ``on_step``
    hears "choosing" once the maximin pool is made, as a model-based batch's watcher
    does (the batch is the same without it)."""
    design = untested_rows(view.initial_design(batch_size, rng), hist.codes)[:batch_size]
    if len(design) == batch_size:
        return design
    return fill_maximin(view, hist, design, batch_size, rng, untested, on_step)


def fill_maximin(
    view: View,
    hist: History,
    chosen: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    untested: np.ndarray | None,
    on_step: DesignSteps | None = None,
) -> np.ndarray:
    """Complete ``chosen`` to ``batch_size`` rows by greedy maximin over untested points
    (``on_step`` told "choosing" with the pool's size before the choice: it draws nothing)."""
    need = batch_size - len(chosen)
    taken = np.vstack([hist.codes, chosen]) if len(chosen) else hist.codes
    if untested is not None:
        pool = untested_rows(untested, taken)
    else:
        from .untested import untested_codes

        pool = untested_codes(view, taken, need, max(20 * need, 500), rng)
    if len(pool) == 0:
        return chosen
    existing = np.vstack([hist.codes, chosen]) if len(hist.codes) else chosen
    feats_existing = view.encode(existing) if len(existing) else None
    if on_step is not None:
        on_step("choosing", len(pool))
    idx = greedy_maximin(view.encode(pool), need, rng, feats_existing)
    return np.vstack([chosen, pool[idx]]) if len(chosen) else pool[idx]
