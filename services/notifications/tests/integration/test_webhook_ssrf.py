"""SSRF through the webhook URL, against real sockets: an endpoint stored before the rules (or
whose DNS changed since) is checked again at delivery, resolved once, and connected to at the
checked address only."""

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from notifications.adapters.webhook import WebhookSender
from notifications.domain.destinations import AllowList
from notifications.models import Notification, WebhookEndpoint

from sample_events import COMPANY_ID
from ssrf_variants import LOOPBACK_IN_DISGUISE

pytestmark = pytest.mark.usefixtures("registered_companies")


class Listener:
    """A TCP port on this machine that counts every connection made to it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def answering(*addresses):
    calls = []

    def resolver(host, port):
        calls.append(host)
        return [ipaddress.ip_address(a) for a in addresses]

    resolver.calls = calls
    return resolver


BODY, HEADERS = b'{"type":"contracts.claim.paid"}', {"Content-Type": "application/json"}


@pytest.mark.parametrize("url", LOOPBACK_IN_DISGUISE)
def test_no_disguise_of_this_machine_is_ever_connected_to(url, listener):
    # Every variant, aimed at a port that counts connections (a stand-in for redis, PostgreSQL
    # or another service's /metrics).
    parts = url.split("/", 3)
    host = parts[2].rsplit(":", 1)[0] if not parts[2].endswith("]") else parts[2]
    aimed = f"https://{host}:{listener.port}/{parts[3] if len(parts) > 3 else ''}"
    for scheme in ("https", "http"):
        outcome = WebhookSender(timeout=2).post(aimed.replace("https", scheme, 1), BODY, HEADERS)
        assert not outcome.ok and outcome.permanent and outcome.error.startswith("destination refused"), aimed
    assert listener.connections == 0


@pytest.mark.parametrize("answer", [("127.0.0.1",), ("93.184.216.34", "127.0.0.1"), ("::ffff:127.0.0.1",)])
def test_a_name_that_resolves_here_is_refused_at_delivery(answer, listener):
    resolver = answering(*answer)
    outcome = WebhookSender(timeout=2, resolve=resolver).post(
        f"https://hooks.sued-wohnbau.example:{listener.port}/x", BODY, HEADERS)
    assert outcome.permanent and "resolves to" in outcome.error
    assert listener.connections == 0 and resolver.calls == ["hooks.sued-wohnbau.example"]


def test_stored_endpoint_whose_name_now_resolves_privately_fails_without_a_call(
        client, tokens, record, deliver, receiver, db, monkeypatch):
    # Registered while its name was not resolvable (or public); now DNS answers a private address.
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS", "")
    response = client.put(f"/api/v1/companies/{COMPANY_ID}/webhook", headers=tokens.company(COMPANY_ID),
                          json={"url": f"https://hooks.sued-wohnbau.example:{receiver.url.split(':')[2]}"})
    assert response.status_code == 200, response.json
    record("contracts.claim.paid")
    deliver(poster=WebhookSender(timeout=2, resolve=answering("10.20.30.40", "127.0.0.1")))
    with db.session() as session:
        note = session.scalars(select(Notification).where(Notification.channel == "webhook")).one()
    assert note.state == "failed" and note.last_error == "destination refused: host resolves to a private network"
    assert receiver.requests == []


def test_endpoint_stored_before_the_rules_is_refused_at_delivery(client, tokens, record, deliver, receiver, db, clock,
                                                                 monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS", "")
    port = receiver.url.split(":")[2].split("/")[0]
    with db.session() as session:
        session.add(WebhookEndpoint(company_id=COMPANY_ID, url=f"http://0x7f.1:{port}/hooks", secret="whsec_AAAA",
                                    created_at=clock.now(), updated_at=clock.now()))
        session.commit()
    record("contracts.claim.paid")
    deliver()
    with db.session() as session:
        note = session.scalars(select(Notification).where(Notification.channel == "webhook")).one()
    assert (note.state, note.last_error) == ("failed", "destination refused: URL must use https")
    assert receiver.requests == []


def test_the_checked_address_is_the_one_connected_to(receiver):
    # DNS rebinding: a second lookup could answer differently, so there must be none. The request
    # goes to the one resolved (and checked) address and still names the registered host.
    port = receiver.server.server_address[1]
    resolver = answering("127.0.0.1")
    sender = WebhookSender(timeout=3, resolve=resolver, allowed=AllowList.parse("hooks.test"))
    outcome = sender.post(f"http://hooks.test:{port}/hooks?x=1", BODY, HEADERS)
    assert outcome.ok, outcome
    assert resolver.calls == ["hooks.test"]
    [(headers, body)] = receiver.requests
    assert headers["Host"] == f"hooks.test:{port}" and body == BODY


def test_rebinding_to_an_internal_address_after_the_check_is_not_followed(listener):
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return [ipaddress.ip_address(a) for a in next(answers)]

    outcome = WebhookSender(timeout=1, resolve=rebinding).post(
        f"https://rebind.attacker.example:{listener.port}/", BODY, HEADERS)
    assert not outcome.ok  # the public address is not reachable from here; that is all it tried
    assert calls == ["rebind.attacker.example"] and listener.connections == 0


class _Redirecting(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.send_response(307)
        self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_redirects_are_not_followed(receiver):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    server.location = receiver.url
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        outcome = WebhookSender(timeout=3, allowed=AllowList.parse("127.0.0.1")).post(
            f"http://127.0.0.1:{server.server_address[1]}/hook", BODY, HEADERS)
    finally:
        server.shutdown()
        server.server_close()
    assert (outcome.ok, outcome.error) == (False, "http 307")
    assert receiver.requests == []


# --- TLS still verifies the registered name although the connection goes to an address --------


def _certificates(tmp_path, name):
    def key():
        return ec.generate_private_key(ec.SECP256R1())

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, leaf_key = key(), key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path / "ca.pem", tmp_path / "leaf.pem"


class _Accepting(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append(self.headers["Host"])
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def tls_receiver(tmp_path):
    ca, leaf = _certificates(tmp_path, "hooks.sued-wohnbau.example")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(leaf)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accepting)
    server.sni = []
    context.sni_callback = lambda _socket, name, _context: server.sni.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, str(ca)
    server.shutdown()
    server.server_close()


def test_tls_to_the_pinned_address_checks_the_registered_name(tls_receiver):
    server, ca = tls_receiver
    port = server.server_address[1]
    allowed = AllowList.parse("hooks.sued-wohnbau.example,other.sued-wohnbau.example")
    sender = WebhookSender(timeout=3, resolve=answering("127.0.0.1"), allowed=allowed, cafile=ca)
    assert sender.post(f"https://hooks.sued-wohnbau.example:{port}/x", BODY, HEADERS).ok
    assert server.seen == [f"hooks.sued-wohnbau.example:{port}"]
    assert server.sni == ["hooks.sued-wohnbau.example"]
    # A certificate for another name at the same address is refused.
    outcome = sender.post(f"https://other.sued-wohnbau.example:{port}/x", BODY, HEADERS)
    assert (outcome.ok, outcome.error) == (False, "tls error")
    assert len(server.seen) == 1
