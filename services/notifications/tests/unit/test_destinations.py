"""SSRF through the webhook URL: every way of writing an internal address is refused, at
registration and again (after resolving) before each delivery."""

import ipaddress

import pytest

from notifications.domain.destinations import (
    AllowList,
    ForbiddenDestination,
    checked_addresses,
    parse_destination,
    refusal,
    system_resolver,
)
from notifications.domain.webhooks import InvalidWebhookUrl, validate_webhook_url

from ssrf_variants import INTERNAL_NETWORKS, LOOPBACK_IN_DISGUISE

HOSTS_FILE_NAMES = ["https://vm/", "https://runsc/", "https://redis:6379/", "https://postgres/"]


@pytest.mark.parametrize("url", LOOPBACK_IN_DISGUISE + INTERNAL_NETWORKS + HOSTS_FILE_NAMES)
def test_internal_destinations_are_refused_at_registration(url):
    with pytest.raises(InvalidWebhookUrl):
        validate_webhook_url(url, resolve=system_resolver)


@pytest.mark.parametrize("url", LOOPBACK_IN_DISGUISE + INTERNAL_NETWORKS)
def test_internal_destinations_are_refused_before_delivery_without_any_lookup(url):
    def resolver(host, port):
        raise AssertionError(f"an address literal was looked up: {host}")

    with pytest.raises(ForbiddenDestination):
        checked_addresses(parse_destination(url), AllowList(), resolver)


@pytest.mark.parametrize("host, means", [
    ("127.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("127.000.000.001", "127.0.0.1"), ("0", "0.0.0.0"), ("%31%32%37.0.0.1", "127.0.0.1"),
])
def test_hosts_are_read_as_the_resolver_reads_them(host, means):
    assert str(parse_destination(f"https://{host}/").literal) == means


def answering(*addresses):
    calls = []

    def resolver(host, port):
        calls.append(host)
        return [ipaddress.ip_address(a) for a in addresses]

    resolver.calls = calls
    return resolver


@pytest.mark.parametrize("answer", [
    ("10.0.0.7",), ("127.0.0.1",), ("169.254.169.254",), ("::1",), ("::ffff:127.0.0.1",), ("100.100.1.1",),
    ("93.184.216.34", "10.0.0.7"),  # one public and one private answer: refused, not "the first one"
    ("10.0.0.7", "93.184.216.34"),
])
def test_a_name_resolving_to_an_internal_address_is_refused(answer):
    resolver = answering(*answer)
    with pytest.raises(ForbiddenDestination, match="resolves to"):
        checked_addresses(parse_destination("https://hooks.sued-wohnbau.example/x"), AllowList(), resolver)
    with pytest.raises(InvalidWebhookUrl, match="resolves to"):
        validate_webhook_url("https://hooks.sued-wohnbau.example/x", resolve=resolver)


def test_a_public_name_gives_every_checked_address():
    resolver = answering("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    destination = parse_destination("https://Hooks.Sued-Wohnbau.example./x?a=1")
    assert destination.host == "hooks.sued-wohnbau.example" and destination.target == "/x?a=1"
    assert [str(a) for a in checked_addresses(destination, AllowList(), resolver)] == [
        "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    assert resolver.calls == ["hooks.sued-wohnbau.example"]


def test_a_name_that_does_not_resolve_yet_can_be_registered():
    def nothing(host, port):
        raise OSError("no such name")

    assert validate_webhook_url("https://hooks.sued-wohnbau.example/x", resolve=nothing)


def test_allow_list_exempts_only_the_named_hosts_and_ports():
    allowed = AllowList.parse("127.0.0.1, localhost:8099, [::1]:9000")
    assert checked_addresses(parse_destination("http://127.1:5000/x"), allowed, answering())
    assert checked_addresses(parse_destination("http://localhost:8099/"), allowed, answering("127.0.0.1"))
    assert checked_addresses(parse_destination("http://[::1]:9000/"), allowed, answering())
    for url in ("http://localhost:8100/", "http://[::1]:9001/", "https://10.0.0.1/", "http://hooks.example/"):
        with pytest.raises(ForbiddenDestination):
            checked_addresses(parse_destination(url), allowed, answering("127.0.0.1"))
    assert AllowList.parse("") == AllowList.parse(None) == AllowList()


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", ["https://a.example\\@127.0.0.1/", "https://a.example/\r\nHost: x", "https://[fe80::1%25eth0]/"])
def test_urls_that_parsers_read_differently_are_refused(url):
    with pytest.raises(InvalidWebhookUrl):
        validate_webhook_url(url)
