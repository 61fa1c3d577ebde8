"""One chaos run: private broker and database, the system on them, the stream of business inputs
with the faults, poison messages, then quiet, accounting and a report."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pika
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from chaos.accounting import OUTCOMES, Accounting, passed, render
from chaos.faults import Faults
from chaos.infra import CpuHogs, PrivatePostgres, PrivateRabbit, free_port
from chaos.workload import Api, Observed, Workload
from servicekit.bus import topology
from servicekit.bus.deadletters import list_dead_letters
from servicekit.bus.envelope import Event
from servicekit.bus.relay import FAULT_SWITCH
from system import System


@dataclass
class Options:
    leases: int = 200
    companies: int = 10
    caseworkers: int = 40
    wave: int = 10
    every_incident: int = 10  # every n-th lease gets an incident report
    every_claim: int = 10  # and every n-th (shifted by one) a rent-arrears claim
    relay_crash: str = "0.02"  # the relay fault switch's value for every worker
    kill_every: tuple[float, float] = (2.0, 6.0)
    broker_outage: bool = True
    database_outage: bool = True
    retry_delays_ms: str = "1000,10000,60000"  # production's retry tiers
    kill_tail: float = 90.0  # keep killing workers this long after the stream while work is still queued
    quiet_timeout: float = 240.0
    seed: int | None = None
    load: int = 0  # CPU hogs per core beside the system (a busy node: 3 or more)


@dataclass
class Report:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    passed: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def text(self) -> str:
        lines = ["", "Chaos accounting", "================", render(self.counts), ""]
        lines += [f"{k}: {v:.1f}s" for k, v in self.timings.items()]
        lines += [""] + [f"- {n}" for n in self.notes]
        if self.problems:
            lines += ["", "PROBLEMS:"] + [f"- {p}" for p in self.problems]
        lines += ["", "PASS" if self.passed else "FAIL"]
        return "\n".join(lines)


class Mailbox:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.count += 1
        return "250 Message accepted for delivery"


def _poison(system: System) -> dict[str, set[str]]:
    """Publish what must end in the dead-letter queues without stopping the flow; returns the ids
    each service's DLQ must then hold."""
    connection = pika.BlockingConnection(pika.URLParameters(system.settings.bus_url))
    channel = connection.channel()
    channel.confirm_delivery()
    expected: dict[str, set[str]] = {s: set() for s in system.services}
    run = system.run_id
    # 1. not an envelope at all, on a routing key three services consume
    malformed = f"poison-malformed-{run}"
    channel.basic_publish(system.settings.exchange, "matching.tenancy.agreed", b'{"not": "an envelope"',
                          pika.BasicProperties(message_id=malformed, type="matching.tenancy.agreed", delivery_mode=2),
                          mandatory=True)
    for service in ("contracts", "support", "notifications"):
        expected[service].add(malformed)
    # 2. a valid envelope of a type nobody handles, straight into every service's queue
    for service in system.services:
        event = Event(type="chaos.nobody.handles", data={"run": run}, source="chaos", correlation_id=run)
        queue = dataclasses.replace(system.settings, service=service).queue
        channel.basic_publish("", queue, event.to_json().encode(), event.properties(), mandatory=True)
        expected[service].add(event.id)
    # 3. a handler that cannot cope: valid data its schema accepts, but a lease starting in year 9999
    #    (its five-year term and support plan reach past the calendar) — retried, then dead-lettered
    bug = Event(type="matching.tenancy.agreed", source="chaos", correlation_id=run, data={
        "proposal_id": str(uuid.uuid4()), "flat_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()),
        "company_id": str(uuid.uuid4()), "lease_start": "9999-12-01", "cold_rent_cents": 50_000,
        "service_charges_cents": 10_000, "heating_cents": 5_000,
        "address": {"street": "Teststraße 1", "postal_code": "70173", "city": "Stuttgart", "district": "Mitte"},
        "household": {"name": "Poison", "email": None, "phone": None, "size": 2}, "household_reference": "POISON"})
    channel.basic_publish(system.settings.exchange, bug.type, bug.to_json().encode(), bug.properties(), mandatory=True)
    connection.close()
    return {"expected": expected, "handler_bug": bug.id, "all": {malformed, bug.id} | set().union(*expected.values())}


def service_settings(system: System, service: str):
    """The settings a service's processes run with (retry tiers from the system's environment)."""
    delays = tuple(int(ms) for ms in system.env["BUS_RETRY_DELAYS_MS"].split(","))
    return dataclasses.replace(system.settings, service=service, retry_delays_ms=delays)


def _busy(system: System) -> dict[str, int]:
    """What is still to do, by place: unsent outbox rows, pending emails, messages in the queues."""
    busy: dict[str, int] = {}
    for service in system.services:
        engine = create_engine(system.database_url(service))
        try:
            with engine.connect() as conn:
                busy[f"{service} outbox"] = conn.execute(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
                if service == "notifications":
                    busy["notifications pending"] = conn.execute(
                        text("SELECT count(*) FROM notifications WHERE state = 'pending'")).scalar()
        finally:
            engine.dispose()
    connection = pika.BlockingConnection(pika.URLParameters(system.settings.bus_url))
    try:
        channel = connection.channel()
        for service in system.services:
            settings = service_settings(system, service)
            for queue in [settings.queue] + [topology.retry_queue(settings, d) for d in settings.retry_delays_ms]:
                busy[queue.removeprefix(settings.bus_prefix)] = channel.queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()
    return {k: v for k, v in busy.items() if v}


def _quiet(system: System, timeout: float, log=print) -> tuple[float, dict[str, int]]:
    """Wait until nothing is left to do (three checks in a row); returns the seconds it took and,
    if it never got there, what was still busy."""
    started = time.monotonic()
    calm = 0
    busy: dict[str, int] = {"not checked yet": 1}
    last_told = 0.0
    while time.monotonic() - started < timeout:
        try:
            busy = _busy(system)
        except Exception as exc:
            busy = {f"check failed: {type(exc).__name__}": 1}
        calm = calm + 1 if not busy else 0
        if calm >= 3:
            return time.monotonic() - started, {}
        if time.monotonic() - last_told > 15:
            log(f"  waiting for quiet: {busy}")
            last_told = time.monotonic()
        time.sleep(1.0)
    return time.monotonic() - started, busy


def run(options: Options, workdir: Path, log=print) -> Report:
    report = Report()
    t0 = time.monotonic()
    rabbit = PrivateRabbit() if PrivateRabbit.available() else None
    postgres = PrivatePostgres() if PrivatePostgres.available() else None
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
    system = None
    faults = None
    hogs = CpuHogs(options.load)
    try:
        if rabbit:
            report.timings["private RabbitMQ node start"] = rabbit.start()
        if postgres:
            postgres.init()
            report.timings["private PostgreSQL start"] = postgres.start()
        smtp.start()
        system = System(workdir, postgres_admin_url=postgres.admin_url if postgres else None,
                        bus_url=rabbit.url if rabbit else None, extra_env={
                            "BUS_RETRY_DELAYS_MS": options.retry_delays_ms,
                            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
                            "MAIL_FROM": "wohnenplus@stuttgart.example", FAULT_SWITCH: options.relay_crash,
                            **({"BUS_MANAGEMENT_URL": rabbit.management_url} if rabbit else {})})
        if rabbit is None:
            report.notes.append("no private RabbitMQ node possible here: no broker outage (shared broker untouched)")
        if postgres is None:
            report.notes.append("no private PostgreSQL possible here: no database restart (shared one untouched)")
        started = time.monotonic()
        system.start()
        report.timings["system start"] = time.monotonic() - started
        faults = Faults(system, rabbit if options.broker_outage else None,
                        postgres if options.database_outage else None, kill_every=options.kill_every,
                        seed=options.seed).supervise()
        observed = Observed()
        api = Api(system, observed)
        workload = Workload(system, api, companies=options.companies, caseworkers=options.caseworkers,
                            wave=options.wave)
        workload.setup()

        hogs.start()
        if options.load:
            report.notes.append(f"load: {hogs.count} CPU hogs beside the system ({options.load} per core)")
        faults.start()
        # The outages one after the other, each when the stream reached its mark. The poison goes in
        # once the broker is back and settled: a message dead-lettered while its quorum queues are
        # still recovering can vanish (at-most-once dead-lettering, see the report), which is not
        # what the poison is here to show.
        marks = {"broker": (0.25, threading.Event()), "database": (0.6, threading.Event())}
        poison: dict = {}

        def outages() -> None:
            marks["broker"][1].wait()
            faults.broker_outage()
            faults.stop.wait(5.0)
            poison.update(_poison(system))
            faults.note("poison published")
            marks["database"][1].wait()
            faults.database_outage()

        outage_thread = threading.Thread(target=outages, name="chaos-outages", daemon=True)
        outage_thread.start()

        def progress(done: int) -> None:
            log(f"  {done}/{options.leases} leases, {sum(faults.log.kills.values())} kills, "
                f"{sum(faults.log.relay_crashes.values())} relay crashes")
            for share, reached in marks.values():
                if done / options.leases >= share:
                    reached.set()

        started = time.monotonic()
        workload.leases_until(options.leases, progress)
        workload.follow_ups(options.every_incident, options.every_claim)
        for _share, reached in marks.values():
            reached.set()
        outage_thread.join()
        if not poison:
            poison.update(_poison(system))
        report.timings["stream of business inputs (with faults)"] = time.monotonic() - started
        # Most of the asynchronous work happens after the last request: keep killing meanwhile.
        started = time.monotonic()
        while time.monotonic() - started < options.kill_tail:
            try:
                if not _busy(system):
                    break
            except Exception:
                pass
            time.sleep(1.0)
        report.timings["backlog worked off under kills"] = time.monotonic() - started
        faults.quiet()
        report.timings["until quiet"], still_busy = _quiet(system, options.quiet_timeout, log)
        if still_busy:
            report.problems.append(f"not quiet after {options.quiet_timeout}s: {still_busy}")
        faults.shutdown()

        accounting = Accounting(system, workload, poison_ids=poison.get("all", ()))
        report.counts = accounting.run()
        report.notes += accounting.notes
        for name, tally in accounting.tallies.items():
            for outcome, keys in tally.examples.items():
                report.problems.append(f"{name}: {outcome}, e.g. {keys[:3]}")

        # dead letters: exactly the poison, nothing of the business flow
        for service in system.services:
            settings = service_settings(system, service)
            letters = list_dead_letters(settings, limit=1000)
            ids = {d.message_id for d in letters}
            missing = poison["expected"][service] - ids
            strangers = ids - poison["all"]
            bug_here = poison["handler_bug"] in ids
            report.notes.append(f"{service} DLQ: {len(letters)} message(s), poison expected "
                                f"{len(poison['expected'][service])} present {len(poison['expected'][service] - missing)}"
                                f"{', + the handler-bug event' if bug_here else ''}")
            if missing:
                report.problems.append(f"{service}: poison not in the DLQ: {sorted(missing)}")
            if strangers:
                why = Counter((d.type, d.reason) for d in letters if d.message_id in strangers)
                report.problems.append(f"{service}: {len(strangers)} business events dead-lettered "
                                       f"(type, reason): {dict(why)}")

        # what the web said
        log_ = faults.log
        report.notes.append(f"SIGKILLs: {dict(log_.kills)}; relay crashes after publish (fault switch): "
                            f"{dict(log_.relay_crashes)}; restarts: {log_.restarts}")
        report.notes.append(faults.startup_summary())
        if log_.other_exits:
            report.problems.append(f"workers that ended by themselves: {log_.other_exits[:5]}")
        if log_.broker_outage_s is not None:
            report.notes.append(f"broker stopped and started once: {log_.broker_outage_s:.1f}s without it")
        if log_.database_outage_s is not None:
            statuses = ", ".join(f"{s} {c}×{n}" for (s, c), n in sorted(log_.during_database_outage.items(), key=str))
            report.notes.append(f"database restarted once: {log_.database_outage_s:.1f}s away; web answered {statuses}; "
                                f"all 200 again {log_.recovered_after_s:.1f}s after it was back")
            if log_.recovered_after_s is not None and log_.recovered_after_s >= 59:
                report.problems.append("the web did not recover by itself within 60s after the database came back")
        report.problems += [f"server error during the outage: {e}" for e in log_.server_errors_during_outage[:5]]
        report.problems += [f"server error: {e}" for e in observed.server_errors[:5]]
        report.problems += [f"503 not problem+json: {e}" for e in observed.unavailable_not_problem_json[:5]]
        unavailable = sum(n for (s, c), n in observed.statuses.items() if c == 503)
        limited = sum(n for (s, c), n in observed.statuses.items() if c == 429)
        report.notes.append(f"driver: {len(workload.leases)} leases, {len(workload.incidents)} incidents, "
                            f"{len(workload.claims)} claims; waited through {unavailable} answers 503 "
                            f"and {limited} answers 429")
        if observed.commits_in_doubt:
            report.notes.append(f"writes answered 503 or cut off although they had committed (the retry met 409): "
                                f"{len(observed.commits_in_doubt)}, e.g. {observed.commits_in_doubt[:3]}")
        report.notes.append(f"emails received by the SMTP server: {smtp.handler.count}")
        report.notes += [f"timeline: {e}" for e in log_.events]
        report.passed = passed(report.counts) and not report.problems
    except BaseException as exc:
        report.problems.append(f"run aborted: {type(exc).__name__}: {str(exc)[:500]}")
        if faults:  # what the faults had done by then, for the failure's message
            report.problems.append(f"by then: SIGKILLs {dict(faults.log.kills)}, relay crashes "
                                   f"{dict(faults.log.relay_crashes)}; {faults.startup_summary()}")
        log("\n".join(report.problems))
        raise
    finally:
        report.timings["total"] = time.monotonic() - t0
        hogs.stop()
        if faults:
            faults.shutdown()
        if system:
            system.shutdown()
        if smtp.loop.is_running():  # not when the run failed before it started
            smtp.stop()
        if rabbit:
            rabbit.teardown()
        if postgres:
            postgres.teardown()
    return report


def counts_json(report: Report) -> str:
    return json.dumps({"passed": report.passed, "counts": report.counts, "outcomes": OUTCOMES}, indent=2)
