"""Run every benchmark in bench/ and write bench/results/latest.md and latest.json.

Each ``bench/*_bench.py`` exposes ``run() -> dict`` (preferred) or ``main()``. A ``run()``
result carries ``figures``: a list of ``{"name", "value", "unit", "baseline", "ratio",
"target", "meets_target"}``; this script gathers them with the machine they were measured
on. ``make bench`` calls it; ``.venv/bin/python bench/run.py [NAME...]`` runs a selection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
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


def run_one(path: Path) -> dict[str, Any]:
    """Run one benchmark file; a failure is recorded, not raised, so the others still run."""
    started = time.perf_counter()
    try:
        module = _load(path)
        if hasattr(module, "run"):
            result = dict(module.run())
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
    return result


def _fmt(value: Any, unit: str) -> str:
    if not isinstance(value, int | float):
        return str(value)
    if unit == "µs":
        return f"{value:,.2f} µs"
    if unit.startswith("per"):
        return f"{value:,.0f} {unit}"
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
        "| benchmark | figure | value | baseline | ratio | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for result in results:
        if result["status"] != "ok":
            lines.append(f"| {result['name']} | FAILED: {result['error']} | | | | | |")
            continue
        for f in result.get("figures", []):
            ratio = f.get("ratio")
            met = f.get("meets_target")
            baseline = f.get("baseline")
            lines.append(
                f"| {result['name']} | {f['name']} | {_fmt(f['value'], f.get('unit', ''))} | "
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
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    files = sorted(BENCH_DIR.glob("*_bench.py"))
    if args.names:
        files = [f for f in files if f.stem.removesuffix("_bench") in args.names]
        if not files:
            print(f"no benchmark named {', '.join(args.names)} in {BENCH_DIR}", file=sys.stderr)
            return 2
    info = machine_info()
    results = []
    for path in files:
        print(f"== {path.name}", flush=True)
        result = run_one(path)
        print(f"   {result['status']} in {result['seconds']} s", flush=True)
        results.append(result)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(
        json.dumps({"machine": info, "benchmarks": results}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    text = markdown(info, results)
    (RESULTS_DIR / "latest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
