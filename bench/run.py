"""Run every benchmark in bench/ and write bench/results/latest.md and latest.json.

Each ``bench/*_bench.py`` exposes ``run() -> dict`` (preferred) or ``main()``. A ``run()``
result carries ``figures``: a list of ``{"name", "value", "unit", "baseline", "ratio",
"target", "meets_target"}``; this script gathers them with the machine they were measured
on. ``make bench`` calls it; ``.venv/bin/python bench/run.py [NAME...]`` runs a selection.

A selection updates only its own rows: the other benchmarks keep their last figures (from the
previous ``latest.json``, or their own ``results/<name>.json``), marked with the date and commit
they were measured at, so ``latest.md`` always lists every benchmark. ``--scale N`` (or
``BENCH_SCALE``) multiplies each benchmark's data by N (``xiaoneng demo --scale N`` for the
applications benchmark); it is passed to every ``run()`` that takes a ``scale`` argument.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import inspect
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def machine_info() -> dict[str, Any]:
    """Where and with what the figures were measured."""
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(load[0], 2),
        "python": platform.python_version(),
        "django": _version("Django"),
        "numpy": _version("numpy"),
        "chinesecalendar": _version("chinesecalendar"),
        "database_url_set": bool(os.environ.get("DATABASE_URL")),
        "commit": _git_commit(),
    }


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_one(path: Path, scale: int = 1) -> dict[str, Any]:
    """Run one benchmark file; a failure is recorded, not raised, so the others still run."""
    started = time.perf_counter()
    try:
        module = _load(path)
        if hasattr(module, "run"):
            kwargs = {}
            if "scale" in inspect.signature(module.run).parameters:
                kwargs["scale"] = scale
            result = dict(module.run(**kwargs))
            if hasattr(module, "write_results"):
                module.write_results(result)
        elif hasattr(module, "main"):
            module.main()
            result = {"name": path.stem.removesuffix("_bench"), "figures": []}
        else:
            raise AttributeError(f"{path.name} has neither run() nor main()")
        result.setdefault("name", path.stem.removesuffix("_bench"))
        result["status"] = "ok"
    except Exception as exc:
        result = {
            "name": path.stem.removesuffix("_bench"),
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "figures": [],
        }
    result["file"] = str(path.relative_to(ROOT))
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["scale"] = scale
    return result


def _previous(names: list[str]) -> dict[str, dict[str, Any]]:
    """The last figures of each benchmark, from latest.json or else its own <name>.json."""
    found: dict[str, dict[str, Any]] = {}
    try:
        old = json.loads((RESULTS_DIR / "latest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    machine = old.get("machine", {})
    for result in old.get("benchmarks", []):
        if result.get("status") == "ok":
            result.setdefault("measured", machine.get("date", "?"))
            result.setdefault("commit", machine.get("commit", "?"))
            found[result["name"]] = result
    for name in names:
        path = RESULTS_DIR / f"{name}.json"
        if name in found or not path.exists():
            continue
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        result.setdefault("name", name)
        result["status"] = "ok"
        result.setdefault("measured", mtime.strftime("%Y-%m-%d %H:%M UTC"))
        result.setdefault("commit", "?")
        found[name] = result
    return found


def _fmt(value: Any, unit: str) -> str:
    if not isinstance(value, int | float):
        return str(value)
    if unit == "µs":
        return f"{value:,.2f} µs"
    if unit.startswith("per"):
        return f"{value:,.0f} {unit}"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:,.3g} {unit}".strip()


def markdown(info: dict[str, Any], results: list[dict[str, Any]]) -> str:
    lines = [
        "# Benchmarks: latest run",
        "",
        f"{info['date']} on {info['cpu']} ({info['cpu_count']} CPUs, "
        f"load {info['load_average_1m']}), "
        f"{info['platform']}; Python {info['python']}, Django {info['django']}, "
        f"numpy {info['numpy']}, chinesecalendar {info['chinesecalendar']}; commit "
        f"{info['commit']}.",
        "",
    ]
    total = info.get("total_seconds")
    if total is not None:
        lines += [
            f"This run: {', '.join(info.get('ran', [])) or 'nothing'} in {total:,.0f} s "
            f"(scale {info.get('scale', 1)}).",
            "",
        ]
    stale = [r for r in results if r.get("kept")]
    if stale:
        lines += [
            "Not run this time (or failed), last figures kept (†, with their date, commit): "
            + "; ".join(
                f"{r['name']} ({r.get('measured', '?')}, {r.get('commit', '?')})" for r in stale
            )
            + ".",
            "",
        ]
    lines += [
        "| benchmark | figure | value | baseline | ratio | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for result in results:
        if result["status"] != "ok":
            lines.append(f"| {result['name']} | FAILED: {result['error']} | | | | | |")
            continue
        label = result["name"] + (" †" if result.get("kept") else "")
        for f in result.get("figures", []):
            ratio = f.get("ratio")
            met = f.get("meets_target")
            baseline = f.get("baseline")
            lines.append(
                f"| {label} | {f['name']} | {_fmt(f['value'], f.get('unit', ''))} | "
                f"{'—' if baseline is None else _fmt(baseline, f.get('unit', ''))} | "
                f"{_ratio(ratio)} | "
                f"{f.get('target') or '—'} | {'' if met is None else ('yes' if met else 'NO')} |"
            )
    lines.append("")
    for result in results:
        if result.get("baseline"):
            lines.append(
                f"- {result['name']}: baseline `{result['baseline']}`. {result.get('notes', '')}"
            )
    lines.append("")
    return "\n".join(lines)


def _ratio(ratio: object) -> str:
    """A ratio for people: 1,704× for speed-ups, 0.010× (1/99) for slow-downs."""
    if not isinstance(ratio, int | float):
        return "—"
    if ratio >= 10:
        return f"{ratio:,.0f}×"
    if ratio >= 1:
        return f"{ratio:.2f}×"
    if ratio <= 0:
        return f"{ratio}×"
    return f"{ratio:.3f}× (1/{1 / ratio:,.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks in bench/.")
    parser.add_argument("names", nargs="*", help="only these (e.g. calendar)")
    parser.add_argument(
        "--scale",
        type=int,
        default=int(os.environ.get("BENCH_SCALE") or 1),
        help="multiply each benchmark's data by N (default: BENCH_SCALE or 1)",
    )
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be 1 or more")
    sys.path.insert(0, str(ROOT / "src"))
    every = sorted(BENCH_DIR.glob("*_bench.py"))
    files = every
    if args.names:
        files = [f for f in every if f.stem.removesuffix("_bench") in args.names]
        if not files:
            print(f"no benchmark named {', '.join(args.names)} in {BENCH_DIR}", file=sys.stderr)
            return 2
    all_names = [f.stem.removesuffix("_bench") for f in every]
    previous = _previous(all_names)
    info = machine_info()
    info["scale"] = args.scale
    started = time.perf_counter()
    fresh: dict[str, dict[str, Any]] = {}
    for path in files:
        print(f"== {path.name}", flush=True)
        result = run_one(path, args.scale)
        result["measured"] = info["date"]
        result["commit"] = info["commit"]
        print(f"   {result['status']} in {result['seconds']} s", flush=True)
        fresh[result["name"]] = result
    info["total_seconds"] = round(time.perf_counter() - started, 1)
    info["ran"] = list(fresh)
    results = []
    for name in all_names:
        if name in fresh:
            results.append(fresh[name])
            if fresh[name]["status"] != "ok" and name in previous:
                # A failed run does not wipe the last figures: they stay, marked †.
                results.append({**previous[name], "kept": True})
        elif name in previous:
            results.append({**previous[name], "kept": True})
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(
        json.dumps({"machine": info, "benchmarks": results}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    text = markdown(info, results)
    (RESULTS_DIR / "latest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(r["status"] == "ok" for r in fresh.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
