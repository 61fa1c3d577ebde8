"""Resident memory (RSS) of every process of the system under test, sampled while the load runs.

Each web process is a gunicorn master with its workers (children); each service worker is one
process (plus any children it starts). Processes are named by role, not pid, so that a gunicorn
worker that died and was replaced shows up as a change of pid (reported) instead of silently.

The verdict ("flat") per process: RSS at the end of the load is at most `tolerance` (default 10 %)
above RSS right after the warm-up; the least-squares slope over the samples after the warm-up is
reported alongside in MB per minute.
"""

from __future__ import annotations

import threading
import time

import psutil

MB = 1024 * 1024


def processes(system) -> dict[str, psutil.Process]:
    found: dict[str, psutil.Process] = {}
    for name, popen in sorted(system.processes.items()):
        root = psutil.Process(popen.pid)
        children = sorted(root.children(recursive=True), key=lambda p: p.pid)
        if name.endswith("-web"):
            found[f"{name} master"] = root
            for i, child in enumerate(children, start=1):
                found[f"{name} worker {i}"] = child
        else:
            found[name] = root
            for i, child in enumerate(children, start=1):
                found[f"{name} child {i}"] = child
    return found


class Sampler:
    def __init__(self, system, interval: float = 5.0) -> None:
        self.system = system
        self.interval = interval
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.pids: dict[str, set[int]] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = 0.0

    def sample(self) -> None:
        rss = {}
        for label, process in processes(self.system).items():
            try:
                rss[label] = process.memory_info().rss / MB
                self.pids.setdefault(label, set()).add(process.pid)
            except psutil.NoSuchProcess:
                pass
        self.samples.append((time.monotonic() - self.started, rss))

    def _run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()

    def start(self) -> "Sampler":
        self.started = time.monotonic()
        self.sample()
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(10)
        self.sample()

    def verdict(self, warmup_s: float, tolerance: float) -> list[dict]:
        """Per process: start, after warm-up, middle, end, max (MB), slope (MB/min), flat or not."""
        rows = []
        labels = sorted({label for _, rss in self.samples for label in rss})
        after = [s for s in self.samples if s[0] >= warmup_s] or self.samples[-1:]
        for label in labels:
            series = [(t, rss[label]) for t, rss in self.samples if label in rss]
            steady = [(t, v) for t, v in series if t >= after[0][0]]
            start, warm, end = series[0][1], steady[0][1], series[-1][1]
            middle = min(series, key=lambda s: abs(s[0] - (after[0][0] + series[-1][0]) / 2))[1]
            rows.append({
                "process": label, "start_mb": round(start, 1), "after_warmup_mb": round(warm, 1),
                "middle_mb": round(middle, 1), "end_mb": round(end, 1), "max_mb": round(max(v for _, v in series), 1),
                "slope_mb_per_min": round(slope(steady) * 60, 3),
                "growth_pct": round((end / warm - 1) * 100, 1),
                "pids": len(self.pids.get(label, ())),
                "flat": end <= warm * (1 + tolerance) and len(self.pids.get(label, ())) == 1,
            })
        return rows


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope (units per second); 0 for fewer than two points."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var if var else 0.0
