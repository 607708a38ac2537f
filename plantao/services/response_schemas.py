"""Building blocks of the JSON Schemas that describe the API's answers.

Each answer's schema sits beside the function that builds that answer (a
``*_RESPONSE`` constant above ``team_json``, ``delivery_json``...), and
``plantao/views/api/openapi.py`` gathers them into the OpenAPI document.
This module imports nothing of Plantão, so any service may use it.
"""

from __future__ import annotations

DATE_TIME = {"type": "string", "format": "date-time"}

#: A person as answers name one: by id.
PERSON_ID = {"type": "integer", "description": "a person's id"}


def ref(name: str) -> dict:
    """A reference to the schema ``name`` of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """``schema`` whose ``type`` also admits null (the OpenAPI 3.1 way)."""
    return {**schema, "type": [schema["type"], "null"]}


def closed_object(properties: dict, description: str | None = None) -> dict:
    """A closed object whose every property is always present in answers."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": sorted(properties),
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def page_of(key: str, item: str, description: str) -> dict:
    """A page of a list: the items of the schema ``item`` under ``key``, and the ``next`` cursor."""
    return closed_object(
        {
            key: {"type": "array", "items": ref(item)},
            "next": {
                "type": ["string", "null"],
                "description": "cursor of the next page: pass it verbatim as `cursor`; null on the last page",
            },
        },
        description,
    )
