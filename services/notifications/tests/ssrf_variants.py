"""The ways of writing an internal address that the SSRF tests try (issue 23, finding 1)."""

# Each of these was accepted with 200 and then contacted by the worker (issue 23, finding 1).
LOOPBACK_IN_DISGUISE = [
    "https://127.1:18443/hook",
    "https://localhost./",
    "https://LOCALHOST/",
    "https://0/",
    "https://0.0.0.0/",
    "https://2130706433/",
    "https://0x7f.1/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://127.000.000.001/",
    "https://%31%32%37.0.0.1/",
    "https://foo.localhost/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::]/",
    "https://127.0.0.1:6379/",
    "https://localhost:5432/",
    "https://127.0.0.1:9004/metrics",
]
INTERNAL_NETWORKS = [
    "https://10.0.0.1/", "https://172.16.5.4/", "https://192.168.1.20/",  # private
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
    "https://224.0.0.1/", "https://[ff02::1]/",  # multicast
    "https://240.0.0.1/", "https://255.255.255.255/",  # reserved, broadcast
    "https://[fe80::1]/", "https://[fd00::1]/", "https://[fc00::1]/",  # link-local, unique local
    "https://[::ffff:10.0.0.1]/", "https://[::ffff:8.8.8.8]/",  # IPv4-mapped: never
    "https://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "https://[64:ff9b::7f00:1]/",  # NAT64 wrapping 127.0.0.1
    "https://192.0.2.10/", "https://[2001:db8::1]/",  # documentation
]
