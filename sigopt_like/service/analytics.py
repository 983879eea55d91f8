"""Analytics files for a session: plots (PNG, PDF) and CSV summaries per generation.

Pure rendering: no HTTP, no database. The ``analytics`` task reads the
session's history and validated space, calls :func:`render_analytics` and
stores the files it returns.

``generations`` has the history shape of the contract::

    [{"gen": 1, "table": {"columns": ["p1", "p2", "Response"], "rows": [[0, 1, 2.5]]},
      "design_rows": 1}, ...]

Responses are maximized, as in Daptics: "best" means the largest response.
Missing responses (``None``, ``"-"``, empty) are counted but never plotted.

Matplotlib is used through ``Figure`` objects only (no pyplot, no global
state), so that rendering is safe in the service's worker threads.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from sigopt_like import csvio
from sigopt_like.service.optimizer import finite
from sigopt_like.spaces import RESPONSE, CategoricalParameter, Space

PNG = "image/png"
PDF = "application/pdf"
CSV = "text/csv"

BY_GENERATION = "responses_by_generation"
VS_PARAMETERS = "response_vs_parameters"
SUMMARY = "summary.csv"
PARAMETER_SUMMARY = "parameter_summary.csv"

_FORMATS = {".png": "image", ".pdf": "PDF", ".csv": "table"}


def file_title(name: str) -> str:
    """The caption of an analytics file (Daptics' ``title``), from its name."""
    stem, dot, suffix = name.rpartition(".")
    captions = {
        BY_GENERATION: "Responses by generation",
        VS_PARAMETERS: "Response against each parameter",
        SUMMARY.removesuffix(".csv"): "Statistics of each generation",
        PARAMETER_SUMMARY.removesuffix(".csv"): "Response by parameter level",
    }
    caption = captions.get(stem if dot else name, name)
    form = _FORMATS.get(f".{suffix.lower()}") if dot else None
    return f"{caption} ({form})" if form else caption


SUMMARY_COLUMNS = ("gen", "n", "n_with_response", "best", "mean", "sd", "best_so_far")
PARAMETER_SUMMARY_COLUMNS = ("parameter", "level", "n", "n_with_response", "mean", "best")

_PANEL_COLUMNS = 3
_GOLDEN = (math.sqrt(5) - 1) / 2
_DPI = 100


@attrs.frozen
class AnalyticsFile:
    """One rendered analytics file: its name, MIME type and bytes."""

    name: str
    content_type: str
    data: bytes


@attrs.frozen
class Observation:
    """One experiment of the history: its generation, parameter values and response."""

    gen: int
    values: Mapping[str, Any]
    response: float | None


@attrs.frozen
class GenerationSummary:
    """Statistics of one generation's responses (``None`` where undefined)."""

    gen: int
    n: int
    n_with_response: int
    best: float | None
    mean: float | None
    sd: float | None
    best_so_far: float | None

    def row(self) -> list[Any]:
        """The CSV row, in ``SUMMARY_COLUMNS`` order."""
        return [
            self.gen,
            self.n,
            self.n_with_response,
            *(_cell(v) for v in (self.best, self.mean, self.sd, self.best_so_far)),
        ]


# --------------------------------------------------------------------------- entry point


def render_analytics(
    space: Space,
    generations: Sequence[Mapping[str, Any]],
    gen: int | None = None,
    *,
    session: str | None = None,
    metric: str = RESPONSE,
) -> list[AnalyticsFile]:
    """Every analytics file for ``space`` and its history, up to generation ``gen``.

    Returns, in this order: ``responses_by_generation.png``/``.pdf``,
    ``response_vs_parameters.png``/``.pdf``, ``summary.csv`` and
    ``parameter_summary.csv``. ``gen=None`` uses every generation given.
    Works with no responses at all and with a single generation. ``session``
    (a label such as ``"session 3 'alloy'"``) and ``metric`` (the measured
    response's name) go into the titles and axes, so a plot stands on its own
    in a report.
    """
    observations = read_observations(space, generations, gen)
    summaries = summarize_generations(observations)
    shown = gen if gen is not None else max((s.gen for s in summaries), default=None)
    exponent = _plot_exponent(observations)
    plotted = [attrs.evolve(o, response=_scaled(o.response, exponent)) for o in observations]
    labels = _Labels(
        session=session, metric=f"{metric} (x 1e{exponent})" if exponent else metric, gen=shown
    )
    files: list[AnalyticsFile] = []
    files += _figure_files(
        BY_GENERATION,
        _by_generation_figure(summarize_generations(plotted), plotted, labels),
    )
    files += _figure_files(VS_PARAMETERS, _vs_parameters_figure(space, plotted, labels))
    files.append(AnalyticsFile(SUMMARY, CSV, _csv_bytes(SUMMARY_COLUMNS, summary_rows(summaries))))
    files.append(
        AnalyticsFile(
            PARAMETER_SUMMARY,
            CSV,
            _csv_bytes(PARAMETER_SUMMARY_COLUMNS, parameter_summary_rows(space, observations)),
        )
    )
    return files


def _plot_exponent(observations: Sequence[Observation]) -> int:
    """0, or the power of ten the plots divide responses by (see ``_exponent``)."""
    return _exponent(o.response for o in observations if o.response is not None)


def _exponent(values: Iterable[float]) -> int:
    """0, or the power of ten an axis divides ``values`` by: beyond ``finite.HUGE`` the
    axis' span can overflow (1.7e308 and -1.7e308 are 3.4e308 apart, and Matplotlib's
    tick locator failed), so the axis is in units of 1e<exponent> and says so."""
    peak = max((abs(v) for v in values), default=0.0)
    return math.floor(math.log10(peak)) if peak > finite.HUGE else 0


def _scaled(response: float | None, exponent: int) -> float | None:
    if response is None or not exponent:
        return response
    return response / 10.0**exponent


@attrs.frozen
class _Labels:
    """What the plots say about themselves: the session, the metric, the generation."""

    session: str | None
    metric: str
    gen: int | None

    def title(self, what: str) -> str:
        where = [self.session] if self.session else []
        if self.gen is not None:
            where.append(f"up to generation {self.gen}")
        return f"{what}\n{', '.join(where)}" if where else what


# --------------------------------------------------------------------------- data


def read_observations(
    space: Space, generations: Iterable[Mapping[str, Any]], gen: int | None = None
) -> list[Observation]:
    """Every experiment of the generations up to ``gen`` (all when None), in history order."""
    observations: list[Observation] = []
    for generation in generations:
        number = int(generation.get("gen", 0))
        if gen is not None and number > gen:
            continue
        table = generation.get("table") or {}
        columns = list(table.get("columns") or [])
        index = {name: columns.index(name) for name in space.names if name in columns}
        response_at = columns.index(RESPONSE) if RESPONSE in columns else None
        for row in table.get("rows") or []:
            values = {name: row[i] for name, i in index.items() if i < len(row)}
            response = (
                _number(row[response_at])
                if response_at is not None and response_at < len(row)
                else None
            )
            observations.append(Observation(gen=number, values=values, response=response))
    return observations


def summarize_generations(observations: Sequence[Observation]) -> list[GenerationSummary]:
    """One summary per generation present, in increasing generation order."""
    by_gen: dict[int, list[Observation]] = {}
    for obs in observations:
        by_gen.setdefault(obs.gen, []).append(obs)
    summaries: list[GenerationSummary] = []
    best_so_far: float | None = None
    for number in sorted(by_gen):
        responses = [o.response for o in by_gen[number] if o.response is not None]
        best = max(responses) if responses else None
        if best is not None:
            best_so_far = best if best_so_far is None else max(best_so_far, best)
        summaries.append(
            GenerationSummary(
                gen=number,
                n=len(by_gen[number]),
                n_with_response=len(responses),
                best=best,
                mean=finite.mean(responses) if responses else None,
                sd=finite.sample_sd(responses) if len(responses) > 1 else None,
                best_so_far=best_so_far,
            )
        )
    return summaries


def summary_rows(summaries: Sequence[GenerationSummary]) -> list[list[Any]]:
    """Rows of ``summary.csv`` (no header)."""
    return [s.row() for s in summaries]


def parameter_summary_rows(space: Space, observations: Sequence[Observation]) -> list[list[Any]]:
    """Rows of ``parameter_summary.csv``: per parameter and level seen, counts, mean and best."""
    rows: list[list[Any]] = []
    for param in space.parameters:
        groups: dict[Any, list[float | None]] = {}
        for obs in observations:
            if param.name in obs.values:
                key = _level_key(param, obs.values[param.name])
                groups.setdefault(key, []).append(obs.response)
        for level in _ordered_levels(param, groups):
            responses = [r for r in groups[level] if r is not None]
            rows.append(
                [
                    param.name,
                    _cell(level),
                    len(groups[level]),
                    len(responses),
                    _cell(finite.mean(responses) if responses else None),
                    _cell(max(responses) if responses else None),
                ]
            )
    return rows


def _number(value: Any) -> float | None:
    """A finite float, or None for a missing or unreadable value."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _level_key(param: Any, value: Any) -> Any:
    """A parameter value as a comparable level: text for categorical, a number otherwise."""
    if isinstance(param, CategoricalParameter):
        return str(value)
    number = _number(value)
    if number is None:
        return str(value)
    return int(number) if param.type == "unit" or number.is_integer() else number


def _ordered_levels(param: Any, groups: Mapping[Any, Any]) -> list[Any]:
    """Levels seen, in the space's order first, then any others as text order."""
    known = [_level_key(param, v) for v in param.values]
    ordered = [level for level in dict.fromkeys(known) if level in groups]
    extra = sorted((level for level in groups if level not in ordered), key=str)
    return ordered + extra


def _cell(value: Any) -> Any:
    """A CSV cell: empty for None, floats rounded to 6 significant digits (whole numbers
    below 1e16 without a decimal point; 1e308 is not written out as 309 digits)."""
    if value is None:
        return ""
    if isinstance(value, float):
        whole = math.isfinite(value) and value.is_integer() and abs(value) < 1e16
        return int(value) if whole else float(f"{value:.6g}")
    return value


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV text, by the library's one CSV writer (``\\n`` line ends)."""
    return csvio.write_csv([header, *rows]).encode("utf-8")


# --------------------------------------------------------------------------- figures


def _figure_files(stem: str, figure: Any) -> list[AnalyticsFile]:
    """The figure as ``stem.png`` and ``stem.pdf`` (PDF without a creation date).

    Every text is drawn as written: names, levels and session labels are the user's, and
    Matplotlib would read ``$...$`` in them as math (a level ``$\\frac{$`` failed the task)."""
    from matplotlib.text import Text

    for text in figure.findobj(Text):
        text.set_parse_math(False)
    png, pdf = io.BytesIO(), io.BytesIO()
    figure.savefig(png, format="png", dpi=_DPI, metadata={"Software": None})
    figure.savefig(pdf, format="pdf", metadata={"CreationDate": None, "Creator": None})
    return [
        AnalyticsFile(f"{stem}.png", PNG, png.getvalue()),
        AnalyticsFile(f"{stem}.pdf", PDF, pdf.getvalue()),
    ]


def _new_figure(width: float, height: float) -> Any:
    """A Figure bound to an Agg canvas, outside pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _no_data(ax: Any, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


def _jitter(count: int, width: float) -> list[float]:
    """Deterministic horizontal offsets in ``[-width/2, width/2)`` that look random.

    The golden-ratio sequence spreads points evenly without a visible pattern,
    and the same input always gives the same picture.
    """
    if count <= 1:
        return [0.0] * count
    return [width * (((i + 1) * _GOLDEN) % 1.0 - 0.5) for i in range(count)]


def _by_generation_figure(
    summaries: Sequence[GenerationSummary], observations: Sequence[Observation], labels: _Labels
) -> Any:
    """Scatter of every response per generation, with the best-so-far line."""
    figure = _new_figure(7.0, 4.8)
    ax = figure.subplots()
    ax.set_title(labels.title(f"{labels.metric} by generation (larger is better)"))
    ax.set_xlabel("Generation")
    ax.set_ylabel(labels.metric)
    gens = [s.gen for s in summaries]
    if gens:
        ax.set_xticks(gens)
        ax.set_xlim(min(gens) - 0.6, max(gens) + 0.6)
    xs: list[float] = []
    ys: list[float] = []
    for number in gens:
        responses = [o.response for o in observations if o.gen == number and o.response is not None]
        xs += [number + dx for dx in _jitter(len(responses), 0.5)]
        ys += responses
    if not ys:
        _no_data(ax, "No responses yet")
        return figure
    ax.scatter(xs, ys, s=18, alpha=0.55, color="tab:blue", edgecolors="none", label="experiment")
    means = [(s.gen, s.mean) for s in summaries if s.mean is not None]
    ax.plot(
        [g for g, _ in means],
        [m for _, m in means],
        marker="_",
        markersize=14,
        linestyle="none",
        color="tab:gray",
        label="generation mean",
    )
    best = [(s.gen, s.best_so_far) for s in summaries if s.best_so_far is not None]
    ax.step(
        [g for g, _ in best],
        [b for _, b in best],
        where="post",
        color="tab:red",
        linewidth=2,
        marker="o",
        markersize=4,
        label="best so far",
    )
    missing = sum(s.n - s.n_with_response for s in summaries)
    if missing:
        ax.set_xlabel(f"Generation ({missing} experiment(s) without a response not shown)")
    ax.grid(True, alpha=0.3)
    figure.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return figure


def _vs_parameters_figure(
    space: Space, observations: Sequence[Observation], labels: _Labels
) -> Any:
    """One panel per parameter: response against its value, coloured by generation."""
    count = max(len(space.parameters), 1)
    ncols = min(_PANEL_COLUMNS, count)
    nrows = math.ceil(count / ncols)
    figure = _new_figure(3.6 * ncols + 0.8, 3.2 * nrows + 0.9)
    axes = figure.subplots(nrows, ncols, squeeze=False, sharey=True)
    figure.suptitle(labels.title(f"{labels.metric} against each parameter"))
    measured = [o for o in observations if o.response is not None]
    gens = sorted({o.gen for o in measured})
    colors = _generation_colors(gens)
    best = max(measured, key=_response_key) if measured else None
    for i, ax in enumerate(axes.flat):
        if i >= len(space.parameters):
            ax.set_visible(False)
            continue
        _parameter_panel(ax, space.parameters[i], measured, colors, best)
        if i % ncols == 0:
            ax.set_ylabel(labels.metric)
    if gens:
        handles = [
            _legend_marker(colors[g], f"gen {g}")
            for g in (gens if len(gens) <= 8 else [gens[0], gens[-1]])
        ]
        if best is not None:
            handles.append(
                _legend_marker("none", "best experiment", edge="black", marker="*", size=12)
            )
        figure.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    return figure


MAX_LEVEL_TICKS = 40
"""Most levels of a categorical named on its axis; beyond, evenly spaced ones (a tick per
level of a 50,000-level categorical kept an analytics task drawing labels for minutes)."""


def _tick_levels(count: int) -> list[int]:
    """The indices of the levels a categorical axis names: all, or ``MAX_LEVEL_TICKS``
    evenly spaced ones from the first to the last."""
    if count <= MAX_LEVEL_TICKS:
        return list(range(count))
    step = (count - 1) / (MAX_LEVEL_TICKS - 1)
    return sorted({round(k * step) for k in range(MAX_LEVEL_TICKS)})


MAX_TICK_CHARACTERS = 24
"""Most characters of a level on an axis (a level of 100,000 characters took an analytics
task 21 s, and its axes collapsed to nothing)."""


def _tick_text(level: str) -> str:
    """A level as its axis names it: whole, or its first characters and an ellipsis."""
    if len(level) <= MAX_TICK_CHARACTERS:
        return level
    return level[: MAX_TICK_CHARACTERS - 1] + "\u2026"


def _response_key(obs: Observation) -> float:
    return obs.response if obs.response is not None else -math.inf


def _parameter_panel(
    ax: Any,
    param: Any,
    measured: Sequence[Observation],
    colors: Mapping[int, Any],
    best: Observation | None,
) -> None:
    """Scatter of response against one parameter's values."""
    categorical = isinstance(param, CategoricalParameter)
    exponent = 0 if categorical else _exponent(float(v) for v in param.values)
    unit = 10.0**exponent
    if exponent:
        ax.set_xlabel(f"{param.name} (x 1e{exponent})")
    else:
        ax.set_xlabel(f"{param.name} (units)" if param.type == "unit" else param.name)
    ax.grid(True, alpha=0.3)
    if categorical:
        positions = {str(v): i for i, v in enumerate(param.values)}
        ticks = _tick_levels(len(param.values))
        ax.set_xticks(ticks)
        ax.set_xticklabels(
            [_tick_text(str(param.values[i])) for i in ticks], rotation=30 if len(ticks) > 4 else 0
        )
        ax.set_xlim(-0.6, len(param.values) - 0.4)
    else:
        levels = [float(v) / unit for v in param.values]
        margin = 0.5 * _level_step(param, unit)
        ax.set_xlim(min(levels) - margin, max(levels) + margin)
        if len(set(levels)) <= 12:
            ax.set_xticks(sorted(set(levels)))
        elif param.type == "unit":
            ax.xaxis.get_major_locator().set_params(integer=True)
    points = [o for o in measured if param.name in o.values]
    if not points:
        _no_data(ax, "No responses yet")
        return

    def x_of(obs: Observation) -> float | None:
        value = obs.values[param.name]
        if categorical:
            return positions.get(str(value))
        number = _number(value)
        return None if number is None else number / unit

    xy: list[tuple[float, Observation]] = []
    for obs in points:
        x = x_of(obs)
        if x is not None:
            xy.append((float(x), obs))
    offsets = _jitter(len(xy), 0.3 * _level_step(param, unit))
    ax.scatter(
        [x + dx for (x, _), dx in zip(xy, offsets, strict=True)],
        [o.response for _, o in xy],
        c=[colors[o.gen] for _, o in xy],
        s=16,
        alpha=0.7,
        edgecolors="none",
    )
    for x, obs in xy:
        if obs is best:  # on its level itself, not on its jittered dot
            ax.scatter(
                [x],
                [obs.response],
                marker="*",
                s=140,
                facecolors="none",
                edgecolors="black",
                linewidths=1.2,
                zorder=3,
            )


def _level_step(param: Any, unit: float = 1.0) -> float:
    """Smallest gap between neighbouring levels on the x axis (1 for categories and units),
    levels counted in ``unit``s."""
    if isinstance(param, CategoricalParameter) or param.type == "unit":
        return 1.0
    levels = sorted({float(v) / unit for v in param.values})
    gaps = [b - a for a, b in itertools.pairwise(levels) if b > a]
    return min(gaps) if gaps else 1.0


def _generation_colors(gens: Sequence[int]) -> dict[int, Any]:
    """A viridis colour per generation, early dark to late bright."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    if len(gens) <= 1:
        return {g: cmap(0.35) for g in gens}
    return {g: cmap(0.9 * i / (len(gens) - 1)) for i, g in enumerate(gens)}


def _legend_marker(
    color: Any, label: str, *, edge: Any = "none", marker: str = "o", size: float = 7
) -> Any:
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor=color,
        markeredgecolor=edge,
        label=label,
    )
