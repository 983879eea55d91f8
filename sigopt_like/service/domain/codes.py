"""Points of a space as codes: one whole number per parameter, the form the optimizer
works in and the form a campaign's experiments are stored in.

A factorial parameter's code is the index of its level in the space's list of
levels; a mixture component's code is its number of units (the value itself).
The mapping is fixed by the space alone, and a space cannot change once a design
was generated, so stored codes always read back as the same points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from sigopt_like.spaces import MixtureComponent, Space

from .campaign import Campaign, Generation

Codes = tuple[int, ...]


class Codec:
    """Encode points of one space as codes and decode them back (pure, no numpy)."""

    def __init__(self, space: Space) -> None:
        self._levels: list[tuple[Any, ...] | None] = []
        self._index: list[dict[Any, int] | None] = []
        for param in space.parameters:
            if isinstance(param, MixtureComponent):
                self._levels.append(None)
                self._index.append(None)
            else:
                levels = tuple(param.values)
                self._levels.append(levels)
                self._index.append({level: i for i, level in enumerate(levels)})

    def encode(self, point: Sequence[Any]) -> Codes:
        """The codes of a point of the space (its values must be the space's levels)."""
        out = []
        for index, value in zip(self._index, point, strict=True):
            if index is None:
                out.append(int(value))
                continue
            code = index.get(value)
            if code is None:
                raise ValueError(f"{value!r} is not a level of the space")
            out.append(code)
        return tuple(out)

    def decode(self, codes: Sequence[int]) -> tuple[Any, ...]:
        """The point of some codes."""
        return tuple(
            int(code) if levels is None else levels[code]
            for levels, code in zip(self._levels, codes, strict=True)
        )

    def codes_equal(self, point: Sequence[Any]) -> list[list[int] | None]:
        """Per parameter, the codes that decode to a value equal (``==``) to the point's,
        so that rows can be matched to a point without decoding them; None for a mixture
        component (its code decodes to ``int(code)``)."""
        return [
            None if levels is None else [i for i, level in enumerate(levels) if level == value]
            for levels, value in zip(self._levels, point, strict=True)
        ]

    def encode_all(self, points: Iterable[Sequence[Any]]) -> list[Codes]:
        """The codes of many points."""
        return [self.encode(p) for p in points]

    def decode_all(self, rows: Iterable[Sequence[int]]) -> list[tuple[Any, ...]]:
        """The points of many code rows."""
        if all(lv is not None for lv in self._levels):  # factorial: plain lookups
            levels: list[tuple[Any, ...]] = self._levels  # type: ignore[assignment]
            return [tuple(lv[c] for lv, c in zip(levels, row, strict=True)) for row in rows]
        return [self.decode(row) for row in rows]


@attrs.frozen
class EncodedHistory:
    """A campaign's history as the optimizer takes it: every tested experiment's codes and
    response (None: missing), in the order they were put, and the codes of designed
    experiments not tested yet (never designed again)."""

    codes: list[Codes]
    values: list[float | None]
    exclude: list[Codes]


def encoded_history(
    campaign: Campaign, codes_of: Callable[[Generation], Sequence[Codes]]
) -> EncodedHistory:
    """The encoded history of a campaign; ``codes_of(generation)`` gives the codes of a
    generation's table (its design first while its responses are not in)."""
    codes: list[Codes] = []
    values: list[float | None] = []
    exclude: list[Codes] = []
    for g in campaign.generations:
        table = codes_of(g)
        pending = 0 if g.uploaded else g.design_rows
        exclude.extend(table[:pending])
        codes.extend(table[pending:])
        values.extend(r.response for r in g.rows)
    return EncodedHistory(codes, values, exclude)
