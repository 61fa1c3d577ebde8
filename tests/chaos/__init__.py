"""Chaos accounting (issue 9): drive leases through the running system while its processes, its
broker and its database fail, then classify every expected effect as present once, lost,
duplicated or unexpected. `make chaos` runs the full version; tests/test_chaos.py a short one."""
