"""Tests for sigopt_like.exports (auto-export files) and the packaged sample spaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigopt_like import data, exports
from sigopt_like.spaces import Space, check_design_size
from sigopt_like.tables import Table, history_from_csv

DATA = Path(__file__).parent / "data"


@pytest.fixture
def grid() -> Space:
    return Space.from_csv(DATA / "esd-factorial-4x8.csv")


def test_validated_space_file(tmp_path: Path, grid: Space) -> None:
    target = tmp_path / "new" / "dir"
    path = exports.export_validated_space(target, grid)
    assert path == target / "auto_validated_space.csv"
    assert Space.from_csv(path) == grid
    assert not path.read_text().startswith("Name")  # no header row


def test_design_and_experiments_files(tmp_path: Path, grid: Space) -> None:
    design = grid.random_experiments(5, seed=1)
    path = exports.export_design(tmp_path, 3, design)
    assert path.name == "auto_gen3_design.csv"
    assert Table.from_csv(path) == Table.from_csv(design.to_csv())
    measured = design.with_responses([1.0, 2.0, 3.0, 4.0, 5.0])
    path = exports.export_experiments(tmp_path, 3, measured.to_dict())
    assert path.name == "auto_gen3_experiments.csv"
    assert Table.from_csv(path).responses() == (1, 2, 3, 4, 5)


def test_history_file(tmp_path: Path, grid: Space) -> None:
    generations = [
        {"gen": 1, "table": grid.random_experiments(4, seed=1, max_response=1.0), "design_rows": 4}
    ]
    path = exports.export_history(tmp_path, generations)
    assert path.name == "auto_history.csv"
    assert history_from_csv(path)[0]["design_rows"] == 4


def test_analytics_file(tmp_path: Path) -> None:
    path = exports.export_analytics_file(tmp_path, 2, "response.pdf", b"%PDF-1.4")
    assert path.name == "auto_gen2_response.pdf"
    assert path.read_bytes() == b"%PDF-1.4"
    for bad in ["../x.pdf", "a/b.pdf", "", ".."]:
        with pytest.raises(ValueError):
            exports.export_analytics_file(tmp_path, 2, bad, b"")


def test_file_names_and_bad_generations() -> None:
    assert exports.design_filename(0) == "auto_gen0_design.csv"
    assert exports.experiments_filename(12) == "auto_gen12_experiments.csv"
    for gen in [-1, 1.5, True, "1"]:
        with pytest.raises(ValueError):
            exports.gen_prefix(gen)  # type: ignore[arg-type]


def test_overwrites_atomically_without_leftovers(tmp_path: Path, grid: Space) -> None:
    exports.export_validated_space(tmp_path, grid)
    exports.export_validated_space(tmp_path, grid)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auto_validated_space.csv"]


# --------------------------------------------------------------------------- packaged data


def test_templates_shape_and_validity() -> None:
    templates = data.load_templates()
    assert {t["name"] for t in templates} >= {"formulation-screen", "coating-mixture", "esd-4x8"}
    for template in templates:
        assert template["object"] == "space_template"
        assert set(template) == {
            "object",
            "name",
            "description",
            "space",
            "population_size",
            "replicates",
        }
        space = Space.from_dict(template["space"])
        assert space.validate() == []
        assert check_design_size(space, template["population_size"], template["replicates"]) == []


def test_sample_spaces() -> None:
    screen = data.sample_space("formulation-screen")
    assert screen.type == "factorial" and len(screen.parameters) == 5
    assert {p.type for p in screen.parameters} == {"numerical", "categorical"}
    assert screen.size() == 1200
    coating = data.sample_space("coating-mixture")
    assert coating.type == "mixture" and len(coating.parameters) == 5
    assert coating.total_units == 20 and coating.size() == 1011
    with pytest.raises(KeyError, match="formulation-screen"):
        data.sample_space("nope")


def test_template_defaults() -> None:
    defaults = data.template_defaults()
    assert defaults["factorial"]["population_size"] >= 10
    assert defaults["mixture"]["total_units"] > 0
    assert 0 <= defaults["mixture"]["replicates"] <= 10


def test_packaged_csv_text() -> None:
    assert data.read_data_text("coating-mixture.csv").startswith("Resin,unit,")
