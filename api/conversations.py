"""A customer's conversations in Rasa's tracker store (table ``events``).

Conversation ids are ``<customer_id>/<sender>`` (api.security.conversation_id),
and a sender never contains "/", so a customer's conversations are exactly the
ids with that prefix and no further "/".
"""
from __future__ import annotations

import json

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, inspect, select
from sqlalchemy.engine import Engine

from api.security import conversation_prefix

_events = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                Column("type_name", String(255)), Column("timestamp", Float), Column("data", Text))


def _customer_ids(connection, customer_id: str) -> list[str]:
    if not inspect(connection).has_table("events"):
        return []
    prefix = conversation_prefix(customer_id)
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    ids = connection.execute(select(_events.c.sender_id).distinct()
                             .where(_events.c.sender_id.like(pattern, escape="\\"))).scalars()
    return [i for i in ids if "/" not in i[len(prefix):]]


def export_conversations(engine: Engine, customer_id: str) -> dict[str, list[dict]]:
    """{sender: [{type, timestamp, text?, intent?, action?}]} for the customer's conversations."""
    out: dict[str, list[dict]] = {}
    with engine.connect() as connection:
        for conversation in _customer_ids(connection, customer_id):
            rows = connection.execute(select(_events.c.type_name, _events.c.timestamp, _events.c.data)
                                      .where(_events.c.sender_id == conversation).order_by(_events.c.id))
            events = []
            for type_name, timestamp, data in rows:
                body = json.loads(data or "{}")
                item = {"type": type_name, "timestamp": timestamp}
                if body.get("text") is not None:
                    item["text"] = body["text"]
                if type_name == "user":
                    item["intent"] = (body.get("parse_data") or {}).get("intent", {}).get("name")
                if type_name == "action":
                    item["action"] = body.get("name")
                events.append(item)
            out[conversation.split("/", 1)[1]] = events
    return out


def delete_conversations(engine: Engine, customer_id: str) -> int:
    """Delete every event of the customer's conversations; returns the number of conversations."""
    with engine.begin() as connection:
        ids = _customer_ids(connection, customer_id)
        if ids:
            connection.execute(delete(_events).where(_events.c.sender_id.in_(ids)))
    return len(ids)
