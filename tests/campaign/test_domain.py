"""The pure state machine, without HTTP or a database."""

from __future__ import annotations

import pytest

from sigopt_like.service.domain.campaign import (
    COMPLETED,
    DESIGN_PENDING,
    MAX_REMAINING,
    NO_SPACE,
    READY,
    RESPONSES_IN,
    Campaign,
    CampaignConflict,
    CampaignInvalid,
)
from sigopt_like.service.optimizer import design_batch
from sigopt_like.spaces import Space
from sigopt_like.tables import Table

from .conftest import small_space


def _space() -> Space:
    return Space.from_dict(small_space())


def _responses(c: Campaign) -> Table:
    design = c.generation(c.gen).design
    return Table(columns=c.space.columns, rows=[(*p, float(i)) for i, p in enumerate(design)])


def test_states_follow_the_workflow():
    c = Campaign(seed=7)
    assert c.state == NO_SPACE
    with pytest.raises(CampaignConflict) as info:
        c.check_generate()
    assert info.value.code == "space_required"
    c = c.put_space(_space(), 12, 1)
    assert c.state == READY and c.gen == 0 and c.remaining == 16
    c = c.generate(design_batch)
    assert c.state == DESIGN_PENDING and c.gen == 1 and c.remaining == 15
    with pytest.raises(CampaignConflict) as info:
        c.check_generate()
    assert info.value.code == "design_pending"
    with pytest.raises(CampaignConflict):
        c.put_space(_space(), 12, 1)
    c, count = c.put_experiments("designed", _responses(c))
    assert c.state == RESPONSES_IN and count == 24
    c, _ = c.put_experiments("final", Table(columns=c.space.columns, rows=[(0, 0, 1.5, "x", 1)]))
    assert c.state == COMPLETED and c.status == "completed"


def test_generate_is_deterministic_per_seed_and_generation():
    a = Campaign(seed=11).put_space(_space(), 12, 2).generate(design_batch)
    b = Campaign(seed=11).put_space(_space(), 12, 2).generate(design_batch)
    other = Campaign(seed=12).put_space(_space(), 12, 2).generate(design_batch)
    assert a.generation(1).design == b.generation(1).design
    assert a.generation(1).design != other.generation(1).design
    design = a.generation(1).design
    assert len(design) == 36 and len(set(design)) == 12


def test_design_size_problems_are_listed():
    with pytest.raises(CampaignInvalid) as info:
        Campaign(seed=1).put_space(_space(), 193, -1)
    fields = {p.field for p in info.value.problems}
    assert fields == {"population_size", "replicates"}


def test_the_campaign_value_is_never_mutated():
    c = Campaign(seed=3).put_space(_space(), 12, 0)
    before = c
    c.generate(design_batch)
    assert c == before and c.gen == 0


def test_huge_space_size_is_exact_and_remaining_capped():
    huge = Space.from_dict(
        {
            "type": "factorial",
            "parameters": [
                {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(30)
            ],
        }
    )
    c = Campaign(seed=5).put_space(huge, 30, 0)
    assert huge.size() == 10**30
    assert c.remaining == MAX_REMAINING
    c = c.generate(design_batch)
    assert len(set(c.generation(1).design)) == 30
