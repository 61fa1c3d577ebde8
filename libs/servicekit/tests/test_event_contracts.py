"""servicekit.testing.contracts: the consumer-driven check and the release check, on small documents
and on mutations of them (each mutation is a change a producer team might make by mistake)."""

import copy

import pytest

from servicekit.testing import contracts


def producer_doc(payload=None, *, version=None, extra_messages=None):
    message = {"payload": payload or {
        "type": "object",
        "required": ["thing_id", "size", "when"],
        "properties": {
            "thing_id": {"$ref": "#/components/schemas/uuid"},
            "size": {"type": "integer", "minimum": 1},
            "when": {"type": "string", "format": "date"},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "note": {"type": ["string", "null"]},
            "owner": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        },
    }}
    if version:
        message["x-event-version"] = version
    messages = {"thingMade": {"$ref": "#/components/messages/thingMade"}}
    components = {"schemas": {"uuid": {"type": "string", "format": "uuid"}}, "messages": {"thingMade": message}}
    for name, extra in (extra_messages or {}).items():
        messages[name] = {"$ref": f"#/components/messages/{name}"}
        components["messages"][name] = extra
    return {"asyncapi": "3.0.0",
            "channels": {"thingMade": {"address": "maker.thing.made", "messages": messages}},
            "operations": {"publishThingMade": {"action": "send", "channel": {"$ref": "#/channels/thingMade"}}},
            "components": components}


def consumer_doc(required=("thing_id", "size"), properties=None, version=None):
    message = {"payload": {"type": "object", "required": list(required), "properties": properties or {
        "thing_id": {"type": "string", "format": "uuid"},
        "size": {"type": "number"},
        "kind": {"type": "string", "enum": ["a", "b", "c"]},
        "owner": {"type": "object", "properties": {"name": {"type": "string"}}},
    }}}
    if version:
        message["x-event-version"] = version
    return {"asyncapi": "3.0.0",
            "channels": {"thingMade": {"address": "maker.thing.made", "messages": {"m": {"$ref": "#/components/messages/m"}}}},
            "operations": {"consumeThingMade": {"action": "receive", "channel": {"$ref": "#/channels/thingMade"}}},
            "components": {"messages": {"m": message}}}


def problems(producer, consumer):
    docs = {"maker": producer, "user": consumer}
    [pair] = contracts.pairs(docs)
    assert (pair.producer, pair.consumer, pair.event) == ("maker", "user", "maker.thing.made")
    return contracts.check_pair(docs, pair)


def test_a_producer_that_gives_what_the_consumer_reads_passes():
    assert problems(producer_doc(), consumer_doc()) == []


def edit(doc, change):
    doc = copy.deepcopy(doc)
    change(doc["components"]["messages"]["thingMade"]["payload"])
    return doc


@pytest.mark.parametrize("change, expected", [
    (lambda p: (p["required"].remove("size"), p["properties"].pop("size")), "data.size: the consumer requires it, the producer does not publish it"),
    (lambda p: p["required"].remove("size"), "data.size: the consumer requires it, the producer publishes it as optional"),
    (lambda p: p["properties"]["size"].update(type="string"), "data.size: the producer sends type ['string'], the consumer reads ['number']"),
    (lambda p: p["properties"]["size"].update(type=["integer", "null"]), "data.size: the producer sends type ['integer', 'null']"),
    (lambda p: p["properties"].update(thing_id={"type": "string"}), "data.thing_id: the consumer reads format 'uuid'"),
    (lambda p: p["properties"]["kind"]["enum"].append("zzz"), "data.kind: the producer may send 'zzz'"),
    (lambda p: p["properties"]["owner"]["properties"]["name"].update(type="integer"), "data.owner.name: the producer sends type ['integer']"),
], ids=["removed", "made-optional", "retyped", "made-nullable", "format-dropped", "enum-widened", "nested-retyped"])
def test_a_producer_mutation_the_consumer_cannot_live_with_fails(change, expected):
    found = problems(edit(producer_doc(), change), consumer_doc())
    assert any(expected in p for p in found), found


def test_changes_the_consumer_does_not_read_pass():
    def change(p):
        p["required"].remove("when")
        p["properties"].pop("when")            # nobody reads it
        p["properties"]["note"]["type"] = "integer"
        p["properties"]["extra"] = {"type": "boolean"}
    assert problems(edit(producer_doc(), change), consumer_doc()) == []


def test_an_optional_field_nobody_publishes_is_a_note_not_a_failure():
    consumer = consumer_doc(properties={"thing_id": {"type": "string"}, "renamed": {"type": "string"}}, required=["thing_id"])
    docs = {"maker": producer_doc(), "user": consumer}
    notes = []
    assert contracts.check_pair(docs, contracts.pairs(docs)[0], notes) == []
    assert notes == ["data.renamed: read if present; the producer does not publish it"]


def test_a_version_the_producer_does_not_publish_fails():
    found = problems(producer_doc(), consumer_doc(version=2))
    assert found == ["maker->user:maker.thing.made@v2: user reads version 2, maker publishes only version(s) [1]"]


def test_all_of_and_one_of_are_understood():
    payload = {"allOf": [{"type": "object", "required": ["thing_id"], "properties": {"thing_id": {"type": "string", "format": "uuid"}}},
                         {"type": "object", "required": ["size"], "properties": {"size": {"oneOf": [{"type": "integer"}, {"type": "null"}]}}}]}
    consumer = consumer_doc(properties={"thing_id": {"type": "string", "format": "uuid"}, "size": {"type": ["number", "null"]}})
    assert problems(producer_doc(payload), consumer) == []
    strict = consumer_doc(properties={"thing_id": {"type": "string", "format": "uuid"}, "size": {"type": "number"}})
    assert problems(producer_doc(payload), strict) == [
        "maker->user:maker.thing.made@v1: data.size: the producer sends type ['integer', 'null'], the consumer reads ['number']"]


# -- over time ----------------------------------------------------------------------------------

RELEASED = producer_doc()


@pytest.mark.parametrize("change, expected", [
    (lambda p: (p["required"].remove("when"), p["properties"].pop("when")), "data.when: removed"),
    (lambda p: p["properties"].pop("note"), "data.note: removed"),
    (lambda p: p["required"].append("kind"), "data.kind: newly required"),
    (lambda p: p["required"].remove("size"), "data.size: no longer required"),
    (lambda p: p["properties"]["size"].update(type="number"), "data.size: type changed from ['integer'] to ['number']"),
    (lambda p: p["properties"]["when"].update(format="date-time"), "data.when: format changed"),
    (lambda p: p["properties"]["kind"]["enum"].append("c"), "data.kind: may now carry 'c'"),
    (lambda p: p["properties"]["owner"]["properties"]["name"].update(type=["string", "null"]), "data.owner.name: type changed"),
], ids=["required-removed", "optional-removed", "newly-required", "made-optional", "retyped", "format", "enum-widened", "nested"])
def test_a_breaking_change_under_the_same_version_is_refused(change, expected):
    found = contracts.breaking_changes(RELEASED, edit(RELEASED, change))
    assert any(expected in p for p in found), found
    assert all("publish the change as a new version" in p for p in found)


def test_additive_changes_need_no_new_version():
    def change(p):
        p["properties"]["new_optional"] = {"type": "string"}
        p["properties"]["kind"]["enum"].remove("b")  # fewer values: every consumer still knows them
    assert contracts.breaking_changes(RELEASED, edit(RELEASED, change)) == []


def test_removing_the_event_is_refused():
    gone = copy.deepcopy(RELEASED)
    gone["operations"] = {}
    assert contracts.breaking_changes(RELEASED, gone) == [
        "maker.thing.made@v1: removed without a newer version — publish the change as a new version beside this one "
        "(docs/EVENT-CHANGES.md)"]


def test_the_change_as_a_new_version_beside_the_old_passes_and_the_old_can_retire_later():
    v2_payload = copy.deepcopy(RELEASED["components"]["messages"]["thingMade"]["payload"])
    v2_payload["properties"]["measure"] = v2_payload["properties"].pop("size")
    v2_payload["required"] = ["thing_id", "measure", "when"]
    both = producer_doc(extra_messages={"thingMadeV2": {"x-event-version": 2, "payload": v2_payload}})
    assert contracts.breaking_changes(RELEASED, both) == []
    assert set(contracts.operations(both, "send")) == {("maker.thing.made", 1), ("maker.thing.made", 2)}
    # once every consumer reads v2, v1 may go; v2 itself is now released and frozen
    only_v2 = producer_doc(v2_payload, version=2)
    assert contracts.breaking_changes(both, only_v2) == []
    v2_renamed_again = producer_doc({**v2_payload, "required": ["thing_id", "when"]}, version=2)
    assert contracts.breaking_changes(only_v2, v2_renamed_again) != []


def test_a_consumer_still_reading_the_retired_version_fails_the_pair_check():
    only_v2 = producer_doc(version=2)
    assert problems(only_v2, consumer_doc()) == [
        "maker->user:maker.thing.made@v1: user reads version 1, maker publishes only version(s) [2]"]


# -- handlers against the document ----------------------------------------------------------------

def test_handlers_must_match_the_receive_operations():
    from types import SimpleNamespace

    from servicekit.service import versioned

    doc = consumer_doc()
    assert contracts.handler_problems(SimpleNamespace(handlers={"maker.thing.made": lambda u, e: None}), doc) == []
    assert contracts.handler_problems(SimpleNamespace(handlers={}), doc) == [
        "maker.thing.made: documented as received, no handler"]
    two = versioned({1: lambda u, e: None, 2: lambda u, e: None})
    assert contracts.handler_problems(SimpleNamespace(handlers={"maker.thing.made": two}), doc) == [
        "maker.thing.made: the handler reads versions [1, 2], the document says [1]"]
    extra = {"maker.thing.made": two, "other.thing.done": lambda u, e: None}
    doc2 = consumer_doc(version=2)
    doc2["components"]["messages"]["m1"] = consumer_doc()["components"]["messages"]["m"]
    doc2["channels"]["thingMade"]["messages"]["m1"] = {"$ref": "#/components/messages/m1"}
    assert contracts.handler_problems(SimpleNamespace(handlers=extra), doc2) == [
        "other.thing.done: handled, but not documented as received"]


def test_the_repository_documents_are_found_and_agree():
    """The real documents: every pair of the repository passes, and there are pairs at all."""
    services = contracts.services_dir(__file__)
    docs = contracts.load_documents(services)
    assert {"matching", "contracts", "support", "notifications"} <= set(docs)
    found = contracts.check_all(docs)
    assert len(found) > 30
    assert {p: v for p, v in found.items() if v} == {}


def test_an_events_nested_objects_flatten_into_a_consumers_columns():
    from servicekit.bus.payload import flattened, picked

    data = {"flat_id": "f", "address": {"street": "Königstr. 1", "district": "Mitte"},
            "household": {"name": "B", "size": 3}, "new_field": 1}
    flat = flattened(data, address="", household="household_")
    assert flat == {"flat_id": "f", "new_field": 1, "street": "Königstr. 1", "district": "Mitte",
                    "household_name": "B", "household_size": 3}
    assert flattened({"flat_id": "f", "address": None}, address="") == {"flat_id": "f"}
    assert picked(flat, ["flat_id", "street", "household_email"]) == {"flat_id": "f", "street": "Königstr. 1"}
