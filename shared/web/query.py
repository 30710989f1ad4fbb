"""Query strings, read one way on every route: a route declares a pydantic model
(``query=``, as it declares ``body=``), the frame validates the request's query
against it and the handler gets the model; the OpenAPI document's parameters are the
model's fields. An empty value (``?status=``, what an HTML form sends for a field left
blank) is the parameter left out. A value that does not fit is 422 naming the
parameter, as a body field is. Parameters the model does not know are ignored, and of
a repeated one the first counts."""

from __future__ import annotations

from typing import Any

from flask import Request
from pydantic import BaseModel, ValidationError

from shared.errors import Invalid


def parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    values = {name: value for name, value in request.args.items() if value != ""}
    try:
        # lax: every value arrives as a string, and an integer parameter reads "5" as 5
        return model.model_validate(values)
    except ValidationError as exc:
        parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10]]
        raise Invalid("; ".join(parts)) from None  # each part starts with its parameter


def parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters. ``allowEmptyValue`` states the
    rule above: an empty value is accepted, as the parameter left out."""
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    params = []
    for name, field in schema.get("properties", {}).items():
        # a default of None is the parameter's absence, not a value it could be sent
        field = {
            k: v for k, v in field.items() if k != "title" and not (k == "default" and v is None)
        }
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in field:
            param["description"] = field.pop("description")
        if name not in required:
            param["allowEmptyValue"] = True
        params.append({**param, "schema": field})
    return params
