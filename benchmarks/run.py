"""`make bench`: run every benchmark in this folder and write benchmarks/RESULTS.md.

Each benchmark measures its own baseline in the same run and reports a ratio, because these
machines are noisy; absolute figures are for orientation only.
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
]


def main() -> int:
    sections = []
    failed = 0
    for title, (script, *args) in BENCHMARKS:
        command = [sys.executable, str(HERE / script), *args]
        print(f"== {title}", flush=True)
        result = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
        output = result.stdout.strip()
        print(output, flush=True)
        if result.returncode != 0:
            failed += 1
            output += f"\n\nFAILED (exit {result.returncode}):\n{result.stderr[-2000:]}"
        shown = " ".join(["python", f"benchmarks/{script}", *args])
        sections.append(f"## {title}\n\nCommand: `{shown}`\n\n```\n{output}\n```\n")
    header = (
        "# Benchmark results\n\n"
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n"
        "- command: `make bench`\n\n"
        "Ratios compare against a baseline measured in the same run on the same machine.\n\n"
    )
    (HERE / "RESULTS.md").write_text(header + "\n".join(sections))
    print(f"written: {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
