"""Linear inequality constraints on numeric parameters: checks, sampling, repair.

SigOpt's ``linear_constraints`` (``sum(weight * x) >= threshold`` or ``<=``) cut
the box of the parameters' bounds down to a convex polytope. Every suggestion
must lie inside it, integer parameters included, so the engine samples inside
it (rejection first, which keeps priors and uniformity exact, then hit-and-run
when the polytope is a small part of the box), and pulls mutated points back
towards their feasible parent along the segment between them.

Rows are stored as ``A x <= b`` over the full code vector (zero weights for the
parameters a constraint does not name). Constraints name only plain ``double``
or ``int`` parameters (never log-transformed, grid or conditional ones: the
rules refuse those), so codes and values coincide on every constrained column.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import attrs
import numpy as np

TOLERANCE = 1e-9
"""Slack allowed on a row, relative to the size of its terms (rounding noise)."""
THRESHOLD_LIMIT = 1e300
"""Largest threshold of a scaled row (far from the float limit, 1.8e308): a row whose
threshold over its largest weight would pass it is scaled by its threshold instead, the
same half-space with no infinity in it."""
HIGHS_INFINITY = 1e20
"""HiGHS (scipy's linear programs) reads every number of this size or more as infinite."""
LATTICE_SEARCH_LIMIT = 2_000_000
"""Most cells (a partial integer point's values and its rows' sums, summed over every
column's stage) the exact search for a feasible point builds in all (when every
constrained column is int, see :meth:`LinearConstraints.feasibility`): the whole walk's
work, not one column's, so well under a second and 16 MB at most whatever the number of
parameters; past it the search is HiGHS' alone, whose tolerance (about 1e-6) can miss a
band thinner than that. 99 ints whose walk kept 200,000 partial points at each of 97
columns took a minute under a per-column limit."""
MILP_TIME_LIMIT = 2.0
"""Seconds the mixed-integer programs of one search are given together; HiGHS checks its
clock between steps, so it can run over by about a second. Five ints over 0..10000 held
to an equality of random weights kept HiGHS searching for minutes, the create waiting."""
HIT_AND_RUN_CHAINS = 32
HIT_AND_RUN_BURN_IN = 25
HIT_AND_RUN_THINNING = 3


@attrs.frozen(eq=False)
class LinearConstraints:
    """``A @ x <= b`` over code vectors of ``n_dims`` columns; ``integer`` marks int columns.

    ``lo`` and ``hi`` are the bounds of every column (only constrained columns matter).
    """

    A: np.ndarray
    b: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    integer: np.ndarray
    _walked: list[np.ndarray | None] = attrs.field(factory=list, init=False, repr=False)
    """The memo of :meth:`walked_points` (empty until its first call)."""

    @classmethod
    def build(
        cls,
        rows: Sequence[tuple[Sequence[tuple[int, float]], str, float]],
        lo: Sequence[float] | np.ndarray,
        hi: Sequence[float] | np.ndarray,
        integer: Sequence[bool] | np.ndarray,
    ) -> LinearConstraints:
        """From ``(terms [(column, weight)], "greater_than" | "less_than", threshold)`` rows."""
        n = len(lo)
        A = np.zeros((len(rows), n))
        b = np.zeros(len(rows))
        for i, (terms, kind, threshold) in enumerate(rows):
            sign = -1.0 if kind == "greater_than" else 1.0
            for column, weight in terms:
                A[i, column] += sign * float(weight)
            b[i] = sign * float(threshold)
            # each row scaled so that its largest weight is 1: the same half-space, and
            # weights of 1e308 no longer overflow a row's norm (the feasibility check
            # of a definition was a 500). A threshold far beyond its weights (1e308 over
            # weights of 0.5, or 0.5 over weights of 1e-320) is scaled down to at most
            # THRESHOLD_LIMIT instead: dividing it by the largest weight overflowed to
            # infinity, which the linear programs refuse (a 500 too)
            scale = max(np.abs(A[i]).max(initial=0.0), abs(b[i]) / THRESHOLD_LIMIT)
            if scale > 0:
                A[i] /= scale
                b[i] /= scale
        return cls(
            A=A,
            b=b,
            lo=np.asarray(lo, dtype=float),
            hi=np.asarray(hi, dtype=float),
            integer=np.asarray(integer, dtype=bool),
        )

    @property
    def columns(self) -> np.ndarray:
        """Indices of the columns that some row names."""
        return np.nonzero(np.any(self.A != 0, axis=0))[0]

    def _slack(self) -> np.ndarray:
        scale = np.abs(self.A) @ np.maximum(np.abs(self.lo), np.abs(self.hi)) + np.abs(self.b)
        return TOLERANCE * np.maximum(scale, 1.0)

    def satisfied(self, codes: np.ndarray) -> np.ndarray:
        """One boolean per row of ``codes``: every constraint holds."""
        codes = np.atleast_2d(np.asarray(codes, dtype=float))
        if len(self.b) == 0:
            return np.ones(len(codes), dtype=bool)
        return np.all(codes @ self.A.T <= self.b + self._slack(), axis=1)

    def lattice_points(self, limit: int, work: int | None = None) -> np.ndarray | None:
        """Every integer point of the constrained columns (``columns`` order) inside the
        polytope, or None when there are more than ``limit``, when building them takes
        more than ``work`` cells in all (see :data:`LATTICE_SEARCH_LIMIT`), or when a
        constrained column is not an integer one.

        Built column by column: each partial point extends over the values of the next
        column that leave every row satisfiable by the columns still to come (their
        smallest contribution within bounds), so the work follows the feasible points,
        not the box (a+b+c+d <= 4 over 0..20 each: 70 points of 194,481)."""
        cols = self.columns
        if not self.integer[cols].all():
            return None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # bounds near the float limit overflow to inf or nan: then None, not a warning
            points = self._lattice(cols, limit, work)
        if points is None:
            return None
        full = np.zeros((len(points), len(self.lo)))
        full[:, cols] = points
        return points[self.satisfied(full)]

    def _lattice(self, cols: np.ndarray, limit: int, work: int | None) -> np.ndarray | None:
        """:meth:`lattice_points` before the last check (see there)."""
        A = self.A[:, cols]
        lo, hi = self.lo[cols], self.hi[cols]
        # the rules' slack (relative to the threshold), not :meth:`_slack`'s: that one
        # scales with the bounds, and over ints up to 2**62 it let a+b <= 5 reach 9e9
        slack = np.minimum(self._slack(), TOLERANCE * np.maximum(np.abs(self.b), 1.0))
        low_part = np.minimum(A * lo, A * hi)  # each column's smallest term in each row
        rest = np.cumsum(low_part[:, ::-1], axis=1)[:, ::-1]  # columns j.. together
        rest = np.hstack([rest, np.zeros((len(self.b), 1))])
        points = np.zeros((1, 0))
        sums = np.zeros((1, len(self.b)))  # each partial point's rows so far
        spent = 0
        for j in range(len(cols)):
            room = self.b + slack - sums - rest[:, j + 1]  # (points, rows)
            first = np.full(len(points), lo[j])
            last = np.full(len(points), hi[j])
            for i, a in enumerate(A[:, j]):
                if a > 0:
                    last = np.minimum(last, np.floor(room[:, i] / a + TOLERANCE))
                elif a < 0:
                    first = np.maximum(first, np.ceil(room[:, i] / a - TOLERANCE))
            counts = np.maximum(last - first + 1, 0)
            if not np.isfinite(counts).all() or counts.sum() > limit:
                return None
            spent += int(counts.sum()) * (j + 1 + len(self.b))
            if work is not None and spent > work:
                return None
            counts = counts.astype(np.int64)
            starts = np.repeat(first, counts)
            offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            values = starts + offsets
            points = np.hstack([np.repeat(points, counts, axis=0), values[:, None]])
            sums = np.repeat(sums, counts, axis=0) + values[:, None] * A[:, j][None, :]
        return points

    # ------------------------------------------------------------ feasibility

    def chebyshev_center(self, shrink: bool = False) -> tuple[np.ndarray, float] | None:
        """The centre and radius of the largest ball inside the polytope (constrained
        columns only; the others keep the box centre), or None when it is empty or no
        centre found satisfies every row. The radius is in the units of the columns the
        program that found the centre ran over (see :meth:`_programs`).

        ``shrink`` first tightens each row by half the weight of its int columns, so
        that rounding any point of the smaller polytope stays feasible; the centre then
        satisfies those tightened rows.
        """
        cols = self.columns
        if len(cols) == 0:
            # every weight vanished when the rows were scaled (5e-324 against a threshold
            # of 1e308): each row reads 0 <= b, so the box is the polytope or it is empty
            # (the linear program, with nothing to bound the radius, answered unbounded)
            return ((self.lo + self.hi) / 2.0, math.inf) if bool(np.all(self.b >= 0)) else None
        b = self.b - (
            0.5 * np.abs(self.A[:, cols][:, self.integer[cols]]).sum(axis=1) if shrink else 0.0
        )
        rows = attrs.evolve(self, b=b)
        for program in rows._programs(cols, np.ones(len(cols), dtype=bool)):
            found = rows._ball(cols, program)
            if found is None or (shrink and found[1] <= 0.0):
                continue
            if bool(rows.satisfied(found[0])[0]):
                return found
        return None

    def _ball(self, cols: np.ndarray, program: _Program) -> tuple[np.ndarray, float] | None:
        """The centre and radius found by the Chebyshev program over ``program``'s
        columns, or None when HiGHS finds none."""
        from scipy.optimize import linprog

        d = len(cols)
        norms = np.linalg.norm(program.A, axis=1)
        # variables: z (d), r; maximise r
        rows = [np.hstack([program.A, norms[:, None]])]
        rhs = [program.b]
        eye = np.eye(d)
        rows += [np.hstack([eye, np.ones((d, 1))]), np.hstack([-eye, np.ones((d, 1))])]
        rhs += [program.high, -program.low]
        result = linprog(
            c=np.concatenate([np.zeros(d), [-1.0]]),
            A_ub=np.vstack(rows),
            b_ub=np.concatenate(rhs),
            bounds=[(None, None)] * d + [(0.0, None)],
            method="highs",
        )
        if result.status != 0 or result.x is None:
            return None
        center = (self.lo + self.hi) / 2.0
        center[cols] = program.point(result.x[:d], self.lo[cols], self.hi[cols])
        return center, float(result.x[-1])

    def feasible_point(self) -> np.ndarray | None:
        """One point that satisfies every constraint, int columns integral; None if none
        was found (see :meth:`feasibility`)."""
        return self.feasibility()[0]

    def feasibility(self) -> tuple[np.ndarray | None, bool]:
        """``(point, decided)``: one point that satisfies every constraint (int columns
        integral), or None; ``decided`` is False when None may be wrong.

        A linear program when no constrained column is int; else a mixed-integer one
        (given :data:`MILP_TIME_LIMIT` seconds in all, which it can overrun by about a
        second), and, when its point fails :meth:`satisfied` or it finds none and every
        constrained column is int, the exact walk of :meth:`walked_points`, whose whole
        work is bounded by :data:`LATTICE_SEARCH_LIMIT` cells (well under a second). HiGHS
        rounds within about 1e-6: ints 0..100 with ``x - 0.999999 y`` between
        44.0000069997 and 44.0000070007 hold (51, 7) alone, which it never found (a 422
        for a feasible definition). When the walk is past its limit, or a constrained
        column is a double, a point HiGHS misses stays unfound: ``decided`` False.
        """
        cols = self.columns
        integer = self.integer[cols]
        if not integer.any():
            found = self.chebyshev_center()
            return (None, True) if found is None else (found[0], True)
        point = self._milp_point(cols, integer)
        if point is not None:
            return point, True
        if not integer.all():
            return None, False
        lattice = self.walked_points()
        if lattice is None:
            return None, False
        if len(lattice) == 0:
            return None, True
        point = (self.lo + self.hi) / 2.0
        point[cols] = lattice[len(lattice) // 2]
        return point, True

    def walked_points(self) -> np.ndarray | None:
        """:meth:`lattice_points` within :data:`LATTICE_SEARCH_LIMIT` cells of work,
        walked once per object (suggestions draw from it again and again)."""
        if not self._walked:
            self._walked.append(self.lattice_points(LATTICE_SEARCH_LIMIT, LATTICE_SEARCH_LIMIT))
        return self._walked[0]

    def _milp_point(self, cols: np.ndarray, integer: np.ndarray) -> np.ndarray | None:
        """The first point of a mixed-integer program that passes :meth:`satisfied`."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        deadline = time.monotonic() + MILP_TIME_LIMIT
        for program in self._programs(cols, ~integer):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            result = milp(
                c=np.zeros(len(cols)),
                constraints=LinearConstraint(program.A, -np.inf, program.b),
                integrality=integer.astype(int),
                bounds=Bounds(program.low, program.high),
                options={"time_limit": left},
            )
            if result.x is None:  # infeasible, or no point within the time limit
                continue
            z = np.where(integer, np.round(result.x), result.x)
            point = (self.lo + self.hi) / 2.0
            point[cols] = program.point(z, self.lo[cols], self.hi[cols])
            if bool(self.satisfied(point)[0]):
                return point
        return None

    def _programs(self, cols: np.ndarray, widened: np.ndarray) -> list[_Program]:
        """The feasibility programs to try in turn, until one's point passes
        :meth:`satisfied`.

        First the rows as they are, over the columns' own units, where HiGHS' tolerance
        (about 1e-7) is close to :meth:`satisfied`'s: ``x + y >= 100.0005`` and ``x + y
        <= 100`` over [0, 10000] is empty there. It is left out when a number in it is
        past what HiGHS reads (:data:`HIGHS_INFINITY`: bounds of 1e21 made the box
        unbounded, a threshold of 1e25 no constraint at all). Then the ``widened``
        columns scaled to [0, 1] by their width (the others shifted to start at 0), each
        threshold within what that box can reach (see :func:`_unit_rows`): every number
        is small, but the tolerance is about 1e-7 of a width there, so that program
        found points outside the polytope (the empty one above was a 201 whose every
        suggestion was a 409) and missed feasible ones; its point counts only if it
        passes :meth:`satisfied` too.
        """
        A, lo, hi = self.A[:, cols], self.lo[cols], self.hi[cols]
        programs = []
        if np.all(np.abs(np.concatenate([lo, hi, self.b])) < HIGHS_INFINITY):
            programs.append(_Program(A, self.b, lo, hi, np.zeros(len(cols)), np.ones(len(cols))))
        unit = np.where(widened, hi - lo, 1.0)
        top = (hi - lo) / unit
        A_unit, b_unit = _unit_rows(A, self.b, lo, unit, top)
        programs.append(_Program(A_unit, b_unit, np.zeros(len(cols)), top, lo, unit))
        return programs

    # ------------------------------------------------------------ sampling

    def hit_and_run(self, n: int, rng: np.random.Generator, start: np.ndarray) -> np.ndarray:
        """``n`` points spread uniformly over the polytope (constrained columns; the
        others are copied from ``start``), from chains started at the interior ``start``."""
        cols = self.columns
        A = self.A[:, cols]
        lo, hi = self.lo[cols], self.hi[cols]
        chains = max(1, min(n, HIT_AND_RUN_CHAINS))
        x = np.repeat(start[cols][None, :], chains, axis=0)
        out: list[np.ndarray] = []
        steps = HIT_AND_RUN_BURN_IN + HIT_AND_RUN_THINNING * int(np.ceil(n / chains))
        for step in range(steps):
            u = rng.normal(size=x.shape)
            u /= np.linalg.norm(u, axis=1, keepdims=True) + 1e-300
            t_lo, t_hi = _box_range(x, u, lo, hi)
            au = u @ A.T
            slack = self.b[None, :] - x @ A.T
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = slack / au
            t_hi = np.minimum(t_hi, np.where(au > 1e-15, ratio, np.inf).min(axis=1))
            t_lo = np.maximum(t_lo, np.where(au < -1e-15, ratio, -np.inf).max(axis=1))
            t = t_lo + rng.random(chains) * np.maximum(t_hi - t_lo, 0.0)
            x = x + t[:, None] * u
            if step >= HIT_AND_RUN_BURN_IN and (step - HIT_AND_RUN_BURN_IN) % (
                HIT_AND_RUN_THINNING
            ) == (HIT_AND_RUN_THINNING - 1):
                out.append(x.copy())
        points = np.vstack(out)[:n] if out else x[:n]
        full = np.repeat(start[None, :], len(points), axis=0)
        full[:, cols] = np.clip(points, lo, hi)
        return full

    def fill(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Rows of ``codes`` made feasible: feasible rows are kept as they are (so
        uniform or prior-shaped draws stay exact); the others get new values on the
        constrained columns from hit-and-run (int columns rounded). Rows that cannot be
        made feasible are dropped."""
        codes = np.array(codes, dtype=float, copy=True)
        ok = self.satisfied(codes)
        bad = np.nonzero(~ok)[0]
        if len(bad) == 0:
            return codes
        cols = self.columns
        replacement = self._interior_draws(len(bad), rng)
        if replacement is not None:
            codes[np.ix_(bad, cols)] = replacement[:, cols]
            codes[:, self.integer] = np.round(codes[:, self.integer])
        return codes[self.satisfied(codes)]

    def _interior_draws(self, n: int, rng: np.random.Generator) -> np.ndarray | None:
        """Draws inside the polytope whose int columns round to feasible points."""
        cols = self.columns
        if self.integer[cols].any():
            found = self.chebyshev_center(shrink=True)
            if found is not None:
                shrunk = attrs.evolve(
                    self,
                    b=self.b - 0.5 * np.abs(self.A[:, cols][:, self.integer[cols]]).sum(axis=1),
                )
                draws = shrunk.hit_and_run(n, rng, found[0])
                draws[:, self.integer] = np.round(draws[:, self.integer])
                return draws
            lattice = self.walked_points()
            if lattice is not None and len(lattice):
                # a band too thin for a tightened polytope: draws among its int points
                # (the same known point for every draw was one suggestion, again and again)
                picked = rng.choice(len(lattice), size=n, replace=n > len(lattice))
                draws = np.repeat(((self.lo + self.hi) / 2.0)[None, :], n, axis=0)
                draws[:, cols] = lattice[picked]
                return draws
            point = self.feasible_point()
            if point is None:
                return None
            draws = self._rounded_walk(n, rng, point)
            return draws
        found = self.chebyshev_center()
        if found is None:
            return None
        return self.hit_and_run(n, rng, found[0])

    def _rounded_walk(self, n: int, rng: np.random.Generator, point: np.ndarray) -> np.ndarray:
        """Tight integer polytopes: hit-and-run draws rounded, the infeasible ones
        replaced by the known feasible integer ``point``."""
        found = self.chebyshev_center()
        start = point if found is None else found[0]
        draws = self.hit_and_run(n, rng, start)
        draws[:, self.integer] = np.round(draws[:, self.integer])
        bad = ~self.satisfied(draws)
        draws[bad] = point
        return draws

    def pull_back(self, parents: np.ndarray, children: np.ndarray) -> np.ndarray:
        """Each child moved towards its (feasible) parent until every row holds; int
        columns rounded towards the parent. A child that still fails becomes its parent."""
        parents = np.atleast_2d(np.asarray(parents, dtype=float))
        children = np.array(children, dtype=float, copy=True, ndmin=2)
        if len(self.b) == 0:
            return children
        step = children - parents
        a_step = step @ self.A.T
        slack = self.b[None, :] - parents @ self.A.T
        with np.errstate(divide="ignore", invalid="ignore"):
            limit = np.where(a_step > 1e-15, slack / a_step, np.inf)
        t = np.clip(limit.min(axis=1), 0.0, 1.0)
        moved = parents + t[:, None] * step
        towards = np.where(step > 0, np.floor(moved), np.ceil(moved))
        moved[:, self.integer] = np.round(moved[:, self.integer])
        fixed = ~self.satisfied(moved)
        if fixed.any():
            moved[np.ix_(fixed, self.integer)] = towards[np.ix_(fixed, self.integer)]
        still = ~self.satisfied(moved)
        moved[still] = parents[still]
        return moved


def _box_range(
    x: np.ndarray, u: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The range of t keeping ``x + t u`` inside the box, per chain."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (lo - x) / u
        c = (hi - x) / u
    low = np.where(u > 0, a, np.where(u < 0, c, -np.inf)).max(axis=1)
    high = np.where(u > 0, c, np.where(u < 0, a, np.inf)).min(axis=1)
    return low, high


def _unit_rows(
    A: np.ndarray, b: np.ndarray, origin: np.ndarray, unit: np.ndarray, top: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``A x <= b`` over ``x = origin + unit * z`` (``z`` from 0 to ``top``;
    a double column's unit is its width, so its ``z`` spans [0, 1]), as rows over ``z``:
    each scaled to a largest weight of 1, its threshold kept within what the box of
    ``z`` can reach (one more than the largest left side there: a row beyond holds
    everywhere or nowhere, and still does). HiGHS reads every number of 1e20 or more as
    infinite, so bounds of 1e21 made the box unbounded and a threshold of 1e25 no
    constraint at all: ``x <= y`` over [0, 1e21] was "no point satisfies" (a 422 for a
    feasible definition). Over ``z`` the numbers are at most that reach."""
    weights = A * unit
    scale = np.abs(weights).max(axis=1)
    scale[scale == 0] = 1.0
    with np.errstate(over="ignore"):
        # |origin| / unit is below 5e15 for a double column (min < max are distinct
        # doubles) and 2**63 for an int one, so the offset is finite; only b / scale
        # can overflow, and the clip below brings it back
        b_unit = b / scale - (A / scale[:, None]) @ origin
    A_unit = weights / scale[:, None]
    reach = np.abs(A_unit) @ top + 1.0
    return A_unit, np.clip(b_unit, -reach, reach)


@attrs.frozen(eq=False)
class _Program:
    """Rows ``A z <= b`` over ``low <= z <= high``, for ``x = origin + unit * z``."""

    A: np.ndarray
    b: np.ndarray
    low: np.ndarray
    high: np.ndarray
    origin: np.ndarray
    unit: np.ndarray

    def point(self, z: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """The columns' values at ``z``, within their bounds ``lo`` to ``hi``."""
        return np.clip(self.origin + z * self.unit, lo, hi)
