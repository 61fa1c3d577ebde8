"""The short chaos run inside `make test` (the full one is `make chaos`): a few waves of leases,
incidents and claims while workers are killed, the relay dies between publish and marking sent,
a private broker is stopped and started and a private database restarted; poison on the way.
Nothing may be lost, duplicated or unexpected."""

from __future__ import annotations

from chaos.run import Options, run


def test_nothing_is_lost_or_duplicated_while_everything_fails(tmp_path):
    # relay_crash="3": every worker process dies right after its third confirmed batch
    options = Options(leases=16, companies=2, caseworkers=8, wave=4, every_incident=4, every_claim=4,
                      relay_crash="3", kill_every=(1.5, 4.0), kill_tail=20.0, quiet_timeout=120.0,
                      retry_delays_ms="1000,3000,9000")
    report = run(options, tmp_path, log=lambda line: None)
    print(report.text())  # shown when it fails, and with -s
    assert report.passed, report.text()
    assert report.counts["contract per lease"]["present once"] == 16
    assert report.counts["case per lease"]["present once"] == 16
    assert report.counts["crisis per incident or claim"]["present once"] == 8
    assert report.counts["notification per (event, recipient, channel)"]["present once"] > 16 * 5
    # the faults really happened
    assert any(n.startswith("SIGKILLs: {'") for n in report.notes), report.notes
    assert any("relay crashes after publish (fault switch): {'" in n for n in report.notes), report.notes
    assert any(n.startswith("broker stopped and started once") for n in report.notes)
    assert any(n.startswith("database restarted once") and "503" in n for n in report.notes)

