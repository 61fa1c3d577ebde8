"""The access export (Art. 15 GDPR) as one bundle: every service's contribution for a household,
fetched from its export endpoint, plus a readable German summary for the person."""

from __future__ import annotations

from datetime import datetime

import requests

from servicekit.workdays import BERLIN

SERVICE_NAMES_DE = {
    "matching": "Wohnungsvermittlung",
    "contracts": "Garantieverträge und Schadensfälle",
    "support": "Soziale Begleitung",
    "notifications": "Benachrichtigungen",
}


def collect(household_id: str, bases: dict[str, str], token: str, timeout: float = 30.0) -> dict:
    """{"household_id", "created_at", "services": {name: export}} from each service's base URL."""
    services = {}
    for name, base in bases.items():
        response = requests.get(f"{base}/api/v1/privacy/households/{household_id}/export",
                                headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        response.raise_for_status()
        services[name] = response.json()
    return {"household_id": household_id, "created_at": datetime.now(BERLIN).isoformat(), "services": services}


def summary_de(bundle: dict) -> str:
    created = datetime.fromisoformat(bundle["created_at"]).astimezone(BERLIN)
    lines = [
        "Auskunft nach Art. 15 DSGVO",
        "===========================",
        "",
        f"Haushalt (Kennung): {bundle['household_id']}",
        f"Erstellt am {created:%d.%m.%Y um %H:%M} Uhr.",
        "",
        "Im Programm WohnenPlus der Landeshauptstadt Stuttgart sind zu Ihrem Haushalt die folgenden",
        "Daten gespeichert. Die vollständigen Daten finden Sie maschinenlesbar in der Datei bundle.json.",
    ]
    for name, export in bundle["services"].items():
        title = SERVICE_NAMES_DE.get(name, name)
        lines += ["", f"{title}", "-" * len(title)]
        records = {t: rows for t, rows in export.get("records", {}).items() if rows}
        if not records:
            lines.append("Hier sind keine Daten zu Ihrem Haushalt gespeichert.")
        for table, rows in records.items():
            lines.append(f"* {table}: {len(rows)} Datensatz" + ("" if len(rows) == 1 else "e"))
            for column, info in export.get("fields", {}).items():
                t, _, col = column.partition(".")
                if t != table:
                    continue
                values = [row.get(col) for row in rows if row.get(col) not in (None, "", [], {})]
                if values:
                    shown = "; ".join(str(v) for v in values[:5]) + (" …" if len(values) > 5 else "")
                    lines.append(f"    {info['label']} ({info['category_label']}): {shown}")
        reads = export.get("access_log", [])
        if reads:
            lines.append(f"* Zugriffe auf Ihre Daten: {len(reads)}")
            for read in reads[-10:]:
                at = datetime.fromisoformat(read["at"]).astimezone(BERLIN)
                lines.append(f"    {at:%d.%m.%Y %H:%M} — Rolle {read['actor_role']}, Zweck {read['purpose']}")
    lines += ["", "Sie haben das Recht auf Berichtigung, Löschung und Einschränkung der Verarbeitung.",
              "Fragen richten Sie bitte an die Datenschutzbeauftragte der Landeshauptstadt Stuttgart."]
    return "\n".join(lines) + "\n"
