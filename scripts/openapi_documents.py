"""Write the four services' OpenAPI documents (what each serves at /openapi.json) into a folder,
without a server, a broker or a database: `python scripts/openapi_documents.py OUT_DIR`.

The tests lint these and generate a client from them; a company's developer can do the same."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as var:
        # create_app opens no connection; the URL only has to be one it can parse
        os.environ["DATABASE_URL"] = f"sqlite:///{var}/documents.db"
        os.environ.setdefault("LOG_LEVEL", "ERROR")
        from servicekit.service import discover
        from servicekit.web import create_app

        for service in discover().values():
            app = create_app(service)
            logging.disable(logging.CRITICAL)  # the request log line is no part of the output
            answer = app.test_client().get("/openapi.json")
            assert answer.status_code == 200, (service.name, answer.status_code)
            (out / f"{service.name}.json").write_text(json.dumps(answer.json, indent=1, ensure_ascii=False))
            print(out / f"{service.name}.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
