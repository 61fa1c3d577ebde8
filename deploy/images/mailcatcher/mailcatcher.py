"""A mail catcher: every message received on SMTP :1025 is kept in memory and listed as Mailpit lists
it (GET /api/v1/messages: total and messages with ID, From, To, Subject, Created), newest first."""

import json
import threading
import time
import uuid
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

LOCK = threading.Lock()
MESSAGES: list[dict] = []


class Keep:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        entry = {
            "ID": uuid.uuid4().hex,
            "From": {"Address": envelope.mail_from},
            "To": [{"Name": name, "Address": address} for name, address in getaddresses([str(mail["To"] or "")])],
            "Subject": str(mail["Subject"] or ""),
            "Created": datetime.now(timezone.utc).isoformat(),
            "Size": len(envelope.content),
        }
        with LOCK:
            MESSAGES.insert(0, entry)
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0] == "/livez":
            return self.answer(200, b"ok", "text/plain")
        if self.path.split("?")[0] == "/api/v1/messages":
            with LOCK:
                body = {"total": len(MESSAGES), "count": len(MESSAGES), "messages": list(MESSAGES)}
            return self.answer(200, json.dumps(body).encode(), "application/json")
        return self.answer(404, b"not found", "text/plain")

    def answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # addresses are personal data: no access log
        pass


if __name__ == "__main__":
    smtp = Controller(Keep(), hostname="0.0.0.0", port=1025)
    smtp.start()
    print("mail catcher: SMTP :1025, HTTP :8025", flush=True)
    try:
        ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()
    finally:
        smtp.stop()
        time.sleep(0.1)
