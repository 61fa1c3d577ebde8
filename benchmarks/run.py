"""`make bench`: run every benchmark in this folder and add the run to benchmarks/RESULTS.md.

Each benchmark measures its own baseline in the same run and reports a ratio, because these
machines are noisy; absolute figures are for orientation only. RESULTS.md keeps every run, newest
first, each with the machine's load average before and after each benchmark, so a figure can be
read beside how busy the machine was. `BENCH=api,access make bench` runs only the benchmarks whose
script name starts with one of those words.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("Event pipeline (outbox → RabbitMQ → consumer with inbox)", ["bus_bench.py", "--messages", "5000"]),
    ("Matching run, 50,000 households × 10,000 flats", ["matching_bench.py"]),
    ("Read API under load (wrk) vs a bare Flask JSON endpoint, same gunicorn settings",
     ["api_bench.py", "--seconds", "15"]),
    ("Access log: a logged read vs the same read unlogged, on SQLite and PostgreSQL",
     ["access_log_bench.py", "--reads", "400"]),
    ("End-to-end latency: lease signed → contract, case and notification stored",
     ["e2e_bench.py", "--rates", "10,25,50,100", "--seconds", "10", "--caseworkers", "70"]),
    ("Burst after a city-wide matching run: 5,600 proposals' company notifications delivered",
     ["burst_bench.py", "--proposals", "5600", "--companies", "20"]),
]


RUN_MARK = "\n# Run of "


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    sections = []
    failed = 0
    wanted = [w for w in os.environ.get("BENCH", "").split(",") if w]
    for title, (script, *args) in BENCHMARKS:
        if wanted and not any(script.startswith(w) for w in wanted):
            continue
        command = [sys.executable, str(HERE / script), *args]
        print(f"== {title}", flush=True)
        load_before = _load()
        result = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent,
                                env={**os.environ, "LOG_LEVEL": "WARNING"})  # figures, not request logs
        output = result.stdout.strip()
        print(output, flush=True)
        if result.returncode != 0:
            failed += 1
            output += f"\n\nFAILED (exit {result.returncode}):\n{result.stderr[-2000:]}"
        shown = " ".join(["python", f"benchmarks/{script}", *args])
        sections.append(f"## {title}\n\nCommand: `{shown}`\nLoad average (1/5/15 min) before: {load_before}, "
                        f"after: {_load()}\n\n```\n{output}\n```\n")
    run = (
        f"{RUN_MARK.lstrip()}{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}\n\n"
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n"
        f"- command: `{'BENCH=' + ','.join(wanted) + ' ' if wanted else ''}make bench`\n\n"
        + "\n".join(sections)
    )
    header = (
        "# Benchmark results\n\n"
        "Every `make bench` run, newest first. Ratios compare against a baseline measured in the same run\n"
        "on the same machine; read absolute figures beside the load average printed with them.\n\n"
    )
    path = HERE / "RESULTS.md"
    earlier = path.read_text() if path.exists() else ""
    earlier = earlier[earlier.index(RUN_MARK) + 1:] if RUN_MARK in earlier else _as_first_run(earlier)
    path.write_text(header + run + ("\n" + earlier if earlier else ""))
    print(f"written: {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


def _as_first_run(text: str) -> str:
    """The file as it was before runs were kept: one run under a "# Benchmark results" heading."""
    if not text.strip():
        return ""
    date = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("- date:")), "earlier")
    body = text.split("\n", 1)[1] if text.startswith("# ") else text
    return f"{RUN_MARK.lstrip()}{date}\n{body}"


if __name__ == "__main__":
    sys.exit(main())
