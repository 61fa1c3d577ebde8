"""Matching benchmark: a full run (scoring + assignment) on generated Stuttgart-like data.

    PYTHONPATH=services/matching .venv/bin/python benchmarks/matching_bench.py [--households 50000]
        [--flats 10000] [--seed 1] [--budget S | --exact] [--out benchmarks/results.md]

Data generation is excluded from the timing; building the column tables from the domain objects
is timed separately (the service does that too). The run is `matching.domain.engine.run`, exactly
what `POST /api/v1/matching-runs` calls, with the configured time budget (`--exact` removes it).
Baselines on the same eligible pairs: best-pair-first greedy (over all eligible pairs, via the
engine's lists) and urgent-first (each household in order of urgency + waiting takes its best flat).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "matching"))

from matching.config import load_policy  # noqa: E402
from matching.domain import engine, scoring  # noqa: E402
from matching.domain.candidates import best_pair_first, build_lists, urgent_first  # noqa: E402
from matching.domain.model import Flat, Household, Needs  # noqa: E402
from matching.domain.tables import FlatTable, HouseholdTable  # noqa: E402

TODAY = date(2026, 3, 2)

# Rough shares of Stuttgart's population by Stadtbezirk (the big outer districts weigh more).
DISTRICT_WEIGHTS = {
    "Mitte": 2.3, "Nord": 2.8, "Ost": 4.9, "Süd": 4.4, "West": 5.3, "Bad Cannstatt": 7.1, "Birkach": 0.7,
    "Botnang": 1.3, "Degerloch": 1.7, "Feuerbach": 3.0, "Hedelfingen": 1.0, "Möhringen": 3.2,
    "Mühlhausen": 2.6, "Münster": 0.7, "Obertürkheim": 0.9, "Plieningen": 1.4, "Sillenbuch": 2.4,
    "Stammheim": 1.2, "Untertürkheim": 1.7, "Vaihingen": 4.7, "Wangen": 0.9, "Weilimdorf": 3.2,
    "Zuffenhausen": 3.9,
}


def generate(n_households: int, n_flats: int, seed: int, policy) -> tuple[list[Household], list[Flat]]:
    rng = np.random.default_rng(seed)
    names = list(policy.districts)
    p = np.array([DISTRICT_WEIGHTS[d] for d in names])
    p /= p.sum()

    def some_districts(k_max: int) -> frozenset[str]:
        k = int(rng.integers(1, k_max + 1))
        return frozenset(rng.choice(names, size=k, replace=False, p=p).tolist())

    sizes = rng.choice([1, 2, 3, 4, 5, 6, 7], size=n_households, p=[0.45, 0.22, 0.14, 0.11, 0.05, 0.02, 0.01])
    urgency = rng.choice(
        ["emergency_accommodation", "threatened_homelessness", "inadequate_housing"], size=n_households, p=[0.12, 0.28, 0.60]
    )
    households = []
    for i in range(n_households):
        size = int(sizes[i])
        adults = 1 if size == 1 else int(rng.choice([1, 2], p=[0.35, 0.65]))
        wheelchair = rng.random() < 0.015
        limit = policy.sizes.rent_limit_cents(size)
        households.append(
            Household(
                id=f"h{i}",
                adults=adults,
                children=size - adults,
                urgency=str(urgency[i]),
                referred_on=TODAY - timedelta(days=int(rng.integers(0, 3 * 365))),
                needs=Needs(
                    barrier_free=wheelchair or rng.random() < 0.06,
                    wheelchair=wheelchair,
                    ground_floor_or_lift=wheelchair or rng.random() < 0.08,
                ),
                has_pets=rng.random() < 0.15,
                preferred_districts=some_districts(4) if rng.random() < 0.5 else frozenset(),
                excluded_districts=some_districts(2) if rng.random() < 0.2 else frozenset(),
                rent_limit_override_cents=int(limit * 1.1) if rng.random() < 0.03 else None,
            )
        )
    rooms = rng.choice([1, 1.5, 2, 2.5, 3, 3.5, 4, 5], size=n_flats, p=[0.15, 0.05, 0.30, 0.05, 0.28, 0.02, 0.11, 0.04])
    flats = []
    for j in range(n_flats):
        area = round(float(18 + rooms[j] * 20 + rng.normal(0, 6)), 1)
        floor = int(rng.integers(0, 7))
        wheelchair = rng.random() < 0.03
        lift = wheelchair or (rng.random() < (0.7 if floor > 2 else 0.2))
        flats.append(
            Flat(
                id=f"f{j}",
                district=str(rng.choice(names, p=p)),
                rooms=float(rooms[j]),
                area_m2=max(area, 15.0),
                floor=0 if wheelchair and not lift else floor,
                lift=lift,
                barrier_free=wheelchair or rng.random() < 0.12,
                wheelchair_accessible=wheelchair,
                # Cold rents of 8.5-12.5 EUR/m² put most flats around the city's limits.
                cold_rent_cents=int(round(area * rng.uniform(8.5, 12.5))) * 100,
                available_from=TODAY + timedelta(days=int(rng.integers(-30, 120))),
                pets_allowed=rng.random() < 0.45,
            )
        )
    return households, flats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=50_000)
    ap.add_argument("--flats", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="append the result table (Markdown) to this file")
    ap.add_argument("--exact", action="store_true", help="no time budget: widen until optimality is proven")
    ap.add_argument("--budget", type=float, help="time budget [s] instead of the configured one (a loaded machine)")
    args = ap.parse_args()
    policy = load_policy()
    if args.exact or args.budget is not None:
        budget = None if args.exact else args.budget
        policy = dataclasses.replace(policy, assignment=dataclasses.replace(policy.assignment, time_budget_s=budget))

    households, flats = generate(args.households, args.flats, args.seed, policy)

    t0 = time.perf_counter()
    H = HouseholdTable.build(households, policy)
    F = FlatTable.build(flats, policy)
    t_tables = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    result = engine.run(H, F, policy, TODAY)
    t_run, c_run = time.perf_counter() - t0, time.process_time() - c0

    # Baselines on the same eligible pairs; their time is not part of the run.
    index = build_lists(H, F, policy, TODAY)
    t0 = time.perf_counter()
    urgent = urgent_first(index, scoring.household_part(H, policy, TODAY), len(F), set())
    t_urgent = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = best_pair_first(index, len(F), set())
    t_greedy = time.perf_counter() - t0
    greedy_total = float(g.score.sum())
    gap = (result.upper_bound - result.total_score) / result.upper_bound * 100 if result.upper_bound else 0.0

    rows = [
        ("households × flats", f"{args.households:,} × {args.flats:,}"),
        ("eligible pairs", f"{result.eligible_pairs:,}"),
        ("pairs given to the solver", f"{result.solved_pairs:,} ({result.rounds} round(s))"),
        ("time budget [s]", str(policy.assignment.time_budget_s)),
        ("optimality certified", "yes" if result.certified_optimal else f"no: at most {gap:.3f} % below the optimum"),
        ("build tables [s]", f"{t_tables:.2f}"),
        ("scoring [s]", f"{result.timings['score_s']:.2f}"),
        ("assignment [s]", f"{result.timings['assign_s']:.2f}"),
        ("run = scoring + assignment [s]", f"{t_run:.2f}  (limit 10; CPU {c_run:.2f}, load {os.getloadavg()[0]:.1f})"),
        ("proposals (run / greedy)", f"{len(result.score):,} / {len(g):,}"),
        ("total score of the run", f"{result.total_score:,.1f}"),
        ("proven upper bound", f"{result.upper_bound:,.1f}"),
        ("total score best-pair-first greedy", f"{greedy_total:,.1f}  ({t_greedy:.1f} s)"),
        ("total score urgent-first", f"{float(urgent.score.sum()):,.1f}  ({t_urgent:.1f} s)"),
        ("run vs best-pair-first greedy", f"{(result.total_score / greedy_total - 1) * 100:+.3f} %"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    print("\n".join(lines))
    if args.out:
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        md = [f"\n### matching_bench {stamp} (seed {args.seed}, {platform.node()}, {platform.python_version()})\n",
              "| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
