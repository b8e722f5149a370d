"""Benchmark of the working-day calendar: due dates per second in batch, µs per single call.

Each figure comes with a ratio to ``chinese_calendar.find_workday`` measured in the same run on
the same inputs (issue 2; DOMAIN_RULES.md §1 "Use the package as data, not for arithmetic").
``find_workday`` walks day by day (about a millisecond a call), so it is timed on a subset of
the inputs and scaled; the subset is also used to check that both give the same dates.

The calendar is built straight from the chinese-calendar package by default (no database
needed); ``--source db`` builds it from the configured database (``DATABASE_URL``, migrated)
through ``workday_calendar()``, as the platform does.

Run it alone (``.venv/bin/python bench/calendar_bench.py``) or with every other benchmark
through ``make bench`` (bench/run.py). Writes bench/results/calendar.json and calendar.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SEED = 20240927
BATCH_SIZE = 1_000_000
SINGLE_CALLS = 200_000
BASELINE_CALLS = 2_000
# Starts up to mid-2026 and at most 100 working days, so every answer stays inside 2026,
# where find_workday still answers.
FIRST_START = dt.date(2004, 1, 1)
LAST_START = dt.date(2026, 6, 30)
MAX_N = 100
TARGET_BATCH_PER_SECOND = 1_000_000
TARGET_SINGLE_MICROSECONDS = 5.0


def _django_setup() -> None:
    # The calendar's error messages go through Django's translation machinery.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    import django

    django.setup()


def _calendar(source: str) -> Any:
    if source == "db":
        from xiaoneng.calendars.selectors import workday_calendar

        return workday_calendar()
    from xiaoneng.calendars.package_data import package_calendar

    return package_calendar()


def _best(fn: Callable[[], Any], repeat: int) -> float:
    """Fastest of ``repeat`` runs, in seconds: the least disturbed by other work on the box."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(*, source: str = "package", batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """Measure, compare with find_workday, and return the figures.

    Returns:
        ``{"name", "source", "figures": [{"name", "value", "unit", "baseline",
        "ratio", "target", "meets_target"}], "agreement", "inputs"}``.
    """
    _django_setup()
    import chinese_calendar

    calendar = _calendar(source)
    rng = np.random.default_rng(SEED)
    starts = rng.integers(
        FIRST_START.toordinal(), LAST_START.toordinal() + 1, size=batch_size, dtype=np.int64
    )
    ns = rng.integers(0, MAX_N + 1, size=batch_size, dtype=np.int64)

    # Batch: the whole array at once, as a recompute of many clocks does.
    batch_seconds = _best(lambda: calendar.add_workdays_batch(starts, ns), repeat=5)
    batch_rate = batch_size / batch_seconds

    # Single calls: date objects made beforehand, so only add_workdays is timed.
    count = min(SINGLE_CALLS, batch_size)
    single_inputs = [
        (dt.date.fromordinal(int(s)), int(n))
        for s, n in zip(starts[:count], ns[:count], strict=True)
    ]
    add = calendar.add_workdays

    def singles() -> None:
        for start, n in single_inputs:
            add(start, n)

    single_us = _best(singles, repeat=3) / count * 1e6

    # Baseline on a subset of the same inputs; also the agreement check.
    subset = single_inputs[:BASELINE_CALLS]
    find_workday = chinese_calendar.find_workday
    t0 = time.perf_counter()
    expected = [find_workday(n, start) for start, n in subset]
    baseline_us = (time.perf_counter() - t0) / len(subset) * 1e6
    ours_single = [add(start, n) for start, n in subset]
    ours_batch, provisional = calendar.add_workdays_batch(starts[: len(subset)], ns[: len(subset)])
    agree = sum(
        a == b == dt.date.fromordinal(int(c))
        for a, b, c in zip(ours_single, expected, ours_batch, strict=True)
    )
    baseline_rate = 1e6 / baseline_us

    figures = [
        {
            "name": "due dates per second, batch (add_workdays_batch)",
            "value": batch_rate,
            "unit": "per s",
            "baseline": baseline_rate,
            "ratio": batch_rate / baseline_rate,
            "target": f">= {TARGET_BATCH_PER_SECOND:,} per s",
            "meets_target": batch_rate >= TARGET_BATCH_PER_SECOND,
        },
        {
            "name": "single call (add_workdays)",
            "value": single_us,
            "unit": "µs",
            "baseline": baseline_us,
            "ratio": baseline_us / single_us,
            "target": f"<= {TARGET_SINGLE_MICROSECONDS} µs",
            "meets_target": single_us <= TARGET_SINGLE_MICROSECONDS,
        },
    ]
    return {
        "name": "calendar",
        "source": "chinese-calendar package data" if source == "package" else "database",
        "baseline": "chinese_calendar.find_workday(n, start)",
        "figures": figures,
        "agreement": {
            "checked": len(subset),
            "equal": int(agree),
            "provisional": int(provisional.sum()),
        },
        "inputs": {
            "batch_size": batch_size,
            "single_calls": count,
            "baseline_calls": len(subset),
            "starts": f"{FIRST_START} to {LAST_START}, uniform",
            "n": f"0 to {MAX_N}, uniform",
            "seed": SEED,
        },
        "notes": (
            "Ratios are speed-ups over find_workday on the same inputs in the same run "
            "(batch: our rate / find_workday calls per second; single: find_workday µs / "
            "our µs). Best of 5 batch runs and 3 single-call runs."
        ),
    }


def format_value(figure: dict[str, Any], key: str = "value") -> str:
    value = figure[key]
    if figure["unit"] == "per s":
        return f"{value:,.0f} /s"
    return f"{value:,.2f} µs"


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Calendar benchmark ({result['source']})",
        "",
        f"Baseline: `{result['baseline']}`, same inputs, same run.",
        "",
        "| figure | value | baseline | ratio (speed-up) | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for f in result["figures"]:
        lines.append(
            f"| {f['name']} | {format_value(f)} | {format_value(f, 'baseline')} | "
            f"{f['ratio']:,.0f}× | {f['target']} | {'yes' if f['meets_target'] else 'NO'} |"
        )
    agreement = result["agreement"]
    lines += [
        "",
        f"Agreement with find_workday: {agreement['equal']} of {agreement['checked']} inputs.",
        "",
        f"Inputs: {json.dumps(result['inputs'], ensure_ascii=False)}",
        "",
        result["notes"],
        "",
    ]
    return "\n".join(lines)


def write_results(result: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "calendar.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (RESULTS_DIR / "calendar.md").write_text(markdown(result), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--source",
        choices=["package", "db"],
        default="package",
        help="build the calendar from the package data (default) or the configured database",
    )
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args(argv)
    result = run(source=args.source, batch_size=args.batch_size)
    write_results(result)
    print(markdown(result))
    agreement = result["agreement"]
    return 0 if agreement["equal"] == agreement["checked"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR.parent / "src"))
    sys.exit(main())
