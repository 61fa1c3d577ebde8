"""Consumer-driven event contracts between the services, and compatibility with the last release.

Every service documents in its `asyncapi.yaml` what it publishes (`send` operations) and what it
reads of every event it consumes (`receive` operations: its own copy of the payload schema, listing
only the fields it relies on; `required` = it cannot do without them). Two checks follow from that:

* **Between services** (`check_pair`): for every (producer, consumer, event, version), every field
  the consumer requires is required in the producer's published schema, and every field the
  consumer reads at all has a compatible type, format, enum and pattern there. A producer team that
  drops or retypes a field support reads fails its *own* tests, not only the end-to-end story.
* **Over time** (`breaking_changes`): a producer's current document against the snapshot of its
  last release (`services/<name>/released/asyncapi.yaml`). Removing a field or an event,
  making a field required or optional, changing a type, format, pattern or const, or adding an enum
  value under the *same* version is refused: messages of that version are still in queues,
  dead-letter queues and replays, and consumers still read them. The way out is a new version of
  the event, published beside the old one (see docs/EVENT-CHANGES.md).

A message's version is the envelope's `version`; in the document it is the message's
`x-event-version` (1 when absent). The producer of an event is the service its type starts with.

Self-contained on purpose (PyYAML only): a team can run it from a clean checkout with nothing but
the repository. `python -m servicekit.testing.contracts` prints the matrix and every problem;
`python -m servicekit.testing.contracts release NAME` writes NAME's snapshot.
"""

from __future__ import annotations

import copy
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

VERSION_KEY = "x-event-version"
# Not `contracts/`: in services/contracts that is the Python package.
RELEASED = Path("released") / "asyncapi.yaml"

Schema = dict[str, Any]
Docs = dict[str, dict[str, Any]]


# -- the documents --------------------------------------------------------------------------------

def services_dir(start: str | Path) -> Path:
    """The repository's `services/` directory, found upwards from `start` (a test file, a service)."""
    here = Path(start).resolve()
    for candidate in [here, *here.parents]:
        if candidate.name == "services" and any(candidate.glob("*/asyncapi.yaml")):
            return candidate
        if (candidate / "services").is_dir() and any((candidate / "services").glob("*/asyncapi.yaml")):
            return candidate / "services"
    raise FileNotFoundError(f"no services/*/asyncapi.yaml above {here}")


def load(path: str | Path) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def load_documents(services: str | Path) -> Docs:
    """{service name: its current asyncapi document} for every service in the repository."""
    return {p.parent.name: load(p) for p in sorted(Path(services).glob("*/asyncapi.yaml"))}


def load_released(services: str | Path, name: str) -> dict[str, Any] | None:
    path = Path(services) / name / RELEASED
    return load(path) if path.exists() else None


def _pointer(doc: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(doc: dict[str, Any], node: Any, _seen: tuple[str, ...] = ()) -> Any:
    """`node` with every local `$ref` replaced by its target; keys beside a `$ref` win over it."""
    if isinstance(node, list):
        return [resolve(doc, item, _seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in _seen:
            raise ValueError(f"recursive reference {ref}")
        target = resolve(doc, _pointer(doc, ref), (*_seen, ref))
        return _merge_all_of({**target, **{k: resolve(doc, v, _seen) for k, v in node.items() if k != "$ref"}})
    return _merge_all_of({k: resolve(doc, v, _seen) for k, v in node.items()})


def _merge_all_of(node: dict[str, Any]) -> dict[str, Any]:
    """`allOf` of object schemas as the one schema a message must satisfy (properties and required
    lists joined; for a property named twice, the later wins, as the stricter refinement)."""
    if "allOf" not in node:
        return node
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    for part in node["allOf"]:
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = sorted({*merged.get("required", []), *value})
            else:
                merged.setdefault(key, value)
    return merged


def operations(doc: dict[str, Any], action: str) -> dict[tuple[str, int], Schema]:
    """{(event type, version): resolved payload schema} of the doc's `send` or `receive` operations."""
    found: dict[tuple[str, int], Schema] = {}
    for op in (doc.get("operations") or {}).values():
        if op.get("action") != action:
            continue
        channel = _pointer(doc, op["channel"]["$ref"])
        refs = op.get("messages") or list((channel.get("messages") or {}).values())
        for ref in refs:
            message = resolve(doc, ref)
            version = int(message.get(VERSION_KEY, 1))
            found[(channel["address"], version)] = message.get("payload") or {}
    return found


def producer_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]


# -- the matrix -----------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Pair:
    producer: str
    consumer: str
    event: str
    version: int

    def __str__(self) -> str:
        return f"{self.producer}->{self.consumer}:{self.event}@v{self.version}"


def pairs(docs: Docs, involving: str | None = None) -> list[Pair]:
    """Every (producer, consumer, event, version) the consumers' documents declare; with `involving`,
    only those where that service is producer or consumer."""
    found = [Pair(producer_of(event), consumer, event, version)
             for consumer, doc in docs.items() for event, version in operations(doc, "receive")]
    return sorted(p for p in found if involving in (None, p.producer, p.consumer))


def check_pair(docs: Docs, pair: Pair, notes: list[str] | None = None) -> list[str]:
    """Why the producer's published schema does not give the consumer what it reads ([] = it does).
    Optional fields the consumer would read but the producer never publishes go to `notes`."""
    if pair.producer not in docs:
        return [f"{pair}: no service {pair.producer!r} documents this event"]
    published = operations(docs[pair.producer], "send")
    read = operations(docs[pair.consumer], "receive")[(pair.event, pair.version)]
    if (pair.event, pair.version) not in published:
        versions = sorted(v for e, v in published if e == pair.event)
        what = f"only version(s) {versions}" if versions else "no such event"
        return [f"{pair}: {pair.consumer} reads version {pair.version}, {pair.producer} publishes {what}"]
    return [f"{pair}: {problem}" for problem in _satisfies(published[(pair.event, pair.version)], read, "data", notes)]


def check_all(docs: Docs, involving: str | None = None) -> dict[Pair, list[str]]:
    return {pair: check_pair(docs, pair) for pair in pairs(docs, involving)}


# -- schema facts ---------------------------------------------------------------------------------

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null",
               list: "array", dict: "object"}


def _branches(s: Schema) -> list[Schema]:
    return list(s.get("oneOf") or []) + list(s.get("anyOf") or [])


def types_of(s: Schema) -> set[str] | None:
    """The JSON types a value may have (None: not constrained)."""
    if "const" in s:
        return {_JSON_TYPES[type(s["const"])]}
    if "enum" in s and "type" not in s:
        return {_JSON_TYPES[type(v)] for v in s["enum"]}
    declared = s.get("type")
    if declared is not None:
        return set(declared) if isinstance(declared, list) else {declared}
    branches = _branches(s)
    if branches:
        union: set[str] = set()
        for branch in branches:
            t = types_of(branch)
            if t is None:
                return None
            union |= t
        return union
    if "properties" in s:
        return {"object"}
    return None


def format_of(s: Schema) -> str | None:
    if s.get("format"):
        return s["format"]
    formats = {b.get("format") for b in _branches(s) if b.get("format")}
    return formats.pop() if len(formats) == 1 else None


def values_of(s: Schema) -> set | None:
    """The values a field is limited to (enum/const), None when any value of its types may come."""
    if "const" in s:
        return {s["const"]}
    if "enum" in s:
        return set(s["enum"])
    branches = _branches(s)
    if branches:
        union: set = set()
        for branch in branches:
            values = values_of(branch)
            if values is None and types_of(branch) == {"null"}:
                values = {None}
            if values is None:
                return None
            union |= values
        return union
    return None


def _object_parts(s: Schema) -> tuple[dict[str, Schema], set[str]]:
    properties, required = dict(s.get("properties") or {}), set(s.get("required") or [])
    for branch in _branches(s):
        properties.update(branch.get("properties") or {})
    return properties, required


def _widen(types: set[str]) -> set[str]:
    return types | {"integer"} if "number" in types else types


def _show(values: Iterable[Any]) -> str:
    return ", ".join(sorted(map(repr, values)))


# -- the consumer's view of the producer's schema -------------------------------------------------

def _satisfies(produced: Schema, read: Schema, path: str, notes: list[str] | None = None) -> list[str]:
    """What in `read` (the consumer's view) the producer's `produced` does not promise."""
    problems: list[str] = []
    wanted = types_of(read)
    if wanted is not None:
        sent = types_of(produced)
        if sent is None:
            problems.append(f"{path}: the consumer reads type {sorted(wanted)}, the producer does not say what it sends")
        elif not sent <= _widen(wanted):
            problems.append(f"{path}: the producer sends type {sorted(sent)}, the consumer reads {sorted(wanted)}")
    if format_of(read) and format_of(produced) != format_of(read):
        problems.append(f"{path}: the consumer reads format {format_of(read)!r}, the producer promises "
                        f"{format_of(produced)!r}")
    if read.get("pattern") and produced.get("pattern") != read["pattern"]:
        problems.append(f"{path}: the consumer reads pattern {read['pattern']!r}, the producer promises "
                        f"{produced.get('pattern')!r}")
    allowed = values_of(read)
    if allowed is not None:
        sent_values = values_of(produced)
        if sent_values is None:
            problems.append(f"{path}: the consumer reads only {_show(allowed)}, the producer may send any value")
        elif not sent_values <= allowed:
            problems.append(f"{path}: the producer may send {_show(sent_values - allowed)}, which the consumer "
                            "does not read")
    read_props, read_required = _object_parts(read)
    if read_props or read_required:
        produced_props, produced_required = _object_parts(produced)
        for name in sorted(read_required):
            if name not in produced_props:
                problems.append(f"{path}.{name}: the consumer requires it, the producer does not publish it")
            elif name not in produced_required:
                problems.append(f"{path}.{name}: the consumer requires it, the producer publishes it as optional")
        for name, sub in sorted(read_props.items()):
            if name in produced_props:
                problems.extend(_satisfies(produced_props[name], sub, f"{path}.{name}", notes))
            elif name not in read_required and notes is not None:
                # An optional field nobody publishes is not an error (one reader schema may serve
                # several events), but worth seeing: it may be a field the producer renamed.
                notes.append(f"{path}.{name}: read if present; the producer does not publish it")
    if isinstance(read.get("items"), dict):
        if isinstance(produced.get("items"), dict):
            problems.extend(_satisfies(produced["items"], read["items"], f"{path}[]", notes))
        elif types_of(read["items"]) is not None:
            problems.append(f"{path}[]: the consumer reads typed items, the producer does not say what they are")
    return problems


# -- the producer over time -----------------------------------------------------------------------

def _changes(old: Schema, new: Schema, path: str) -> list[str]:
    """Breaking differences of one published schema against its released self (same version)."""
    problems: list[str] = []
    if types_of(old) != types_of(new):
        problems.append(f"{path}: type changed from {sorted(types_of(old) or ['any'])} to "
                        f"{sorted(types_of(new) or ['any'])}")
    if format_of(old) != format_of(new):
        problems.append(f"{path}: format changed from {format_of(old)!r} to {format_of(new)!r}")
    if old.get("pattern") != new.get("pattern"):
        problems.append(f"{path}: pattern changed from {old.get('pattern')!r} to {new.get('pattern')!r}")
    old_values, new_values = values_of(old), values_of(new)
    if old_values is not None and (new_values is None or new_values - old_values):
        added = "any value" if new_values is None else _show(new_values - old_values)
        problems.append(f"{path}: may now carry {added}, which consumers of this version never saw")
    old_props, old_required = _object_parts(old)
    new_props, new_required = _object_parts(new)
    for name in sorted(old_props):
        if name not in new_props:
            problems.append(f"{path}.{name}: removed")
        else:
            problems.extend(_changes(old_props[name], new_props[name], f"{path}.{name}"))
    for name in sorted(old_required - new_required):
        if name in new_props:
            problems.append(f"{path}.{name}: no longer required (consumers may rely on it)")
    for name in sorted(new_required - old_required):
        problems.append(f"{path}.{name}: newly required (messages of this version published before lack it)")
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        problems.extend(_changes(old["items"], new["items"], f"{path}[]"))
    return problems


def breaking_changes(released: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Why `current` cannot be released without a new event version ([] = it can)."""
    before, now = operations(released, "send"), operations(current, "send")
    problems: list[str] = []
    for (event, version), old in sorted(before.items()):
        if (event, version) in now:
            problems.extend(f"{event}@v{version}: {p}" for p in _changes(old, now[(event, version)], "data"))
        elif not any(e == event and v > version for e, v in now):
            # Retiring an old version once a newer one flows is the end of a transition; removing
            # the event altogether leaves its consumers with nothing.
            problems.append(f"{event}@v{version}: removed without a newer version")
    return [f"{p} — publish the change as a new version beside this one (docs/EVENT-CHANGES.md)"
            for p in problems]


# -- the service's own code against its document --------------------------------------------------

def handler_problems(service: Any, doc: dict[str, Any]) -> list[str]:
    """The consumer's handlers and its `receive` operations name the same events and versions."""
    documented: dict[str, set[int]] = {}
    for event, version in operations(doc, "receive"):
        documented.setdefault(event, set()).add(version)
    problems = []
    for event in sorted(set(documented) | set(service.handlers)):
        handler = service.handlers.get(event)
        if handler is None:
            problems.append(f"{event}: documented as received, no handler")
            continue
        if event not in documented:
            problems.append(f"{event}: handled, but not documented as received")
            continue
        versions = set(getattr(handler, "versions", (1,)))
        if versions != documented[event]:
            problems.append(f"{event}: the handler reads versions {sorted(versions)}, the document says "
                            f"{sorted(documented[event])}")
    return problems


# -- helpers for mutation tests and releases ------------------------------------------------------

def mutated(docs: Docs, service: str, message: str, edit) -> Docs:
    """A deep copy of `docs` with `edit(payload)` applied to `service`'s message `message`."""
    changed = copy.deepcopy(docs)
    edit(changed[service]["components"]["messages"][message]["payload"])
    return changed


def release(services: str | Path, name: str) -> Path:
    """Write the snapshot `name`'s next release is compared with (run when the service is released)."""
    source = Path(services) / name / "asyncapi.yaml"
    target = Path(services) / name / RELEASED
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    services = services_dir(Path.cwd())
    if args[:1] == ["release"]:
        for name in args[1:]:
            problems = breaking_changes(load_released(services, name) or {}, load(services / name / "asyncapi.yaml"))
            if problems and "--force" not in args:
                print("\n".join(problems))
                return 1
            print(release(services, name))
        return 0
    docs = load_documents(services)
    failed = False
    for pair in pairs(docs):
        notes: list[str] = []
        problems = check_pair(docs, pair, notes)
        print(f"{'FAIL' if problems else 'ok  '} {pair}")
        for problem in problems:
            print(f"       {problem}")
        for note in notes:
            print(f"       note: {note}")
        failed |= bool(problems)
    for name in docs:
        released = load_released(services, name)
        for problem in breaking_changes(released, docs[name]) if released else [f"{name}: no released snapshot"]:
            print(f"FAIL {name} release: {problem}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())


class EventContractTests:
    """The event-contract checks every service's own test suite runs, against the other services'
    documents in the repository (a team's tests fail when its change would break another team,
    without the other services running) and against its own last release (docs/EVENT-CHANGES.md).

        class TestEventContracts(EventContractTests):
            name = "contracts"

    The `service` fixture (the service's declaration) is the kit plugin's."""

    name: str

    @property
    def services(self) -> Path:
        import inspect

        return services_dir(inspect.getfile(type(self)))

    @property
    def docs(self) -> Docs:
        return load_documents(self.services)

    def test_the_producer_publishes_what_each_consumer_reads(self):
        docs = self.docs
        failing = {str(pair): problems for pair in pairs(docs, involving=self.name)
                   if (problems := check_pair(docs, pair))}
        assert failing == {}

    def test_the_handlers_are_the_documented_receive_operations(self, service):
        assert handler_problems(service, self.docs[self.name]) == []

    def test_nothing_published_breaks_the_last_release(self):
        released = load_released(self.services, self.name)
        assert released is not None, f"services/{self.name}/{RELEASED} is missing"
        assert breaking_changes(released, self.docs[self.name]) == []

    def test_the_release_is_named_alike_in_pyproject_changelog_and_deployment(self):
        """One version per release: the package, the newest changelog entry and the image tag deployed."""
        import re
        import tomllib

        here = self.services / self.name
        version = tomllib.loads((here / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
        newest = re.search(r"^## (\S+)", (here / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
        assert newest and newest.group(1) == version
        kustomization = self.services.parent / "deploy" / "k8s" / "services" / self.name / "kustomization.yaml"
        if kustomization.exists():  # the deployment lives beside the services in this repository
            assert f'newTag: "{version}"' in kustomization.read_text(encoding="utf-8")
