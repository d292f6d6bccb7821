"""OpenAPI schema additions: the error answers every operation may give, so clients (and the schemathesis
run in tests/test_api_fuzz.py) know their shape instead of meeting undocumented status codes."""

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` says what is wrong; `errors` maps a field to its messages. "
                   "Validation errors of a request body may instead map each field to its messages at the top level.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "additionalProperties": True,
}

# status -> (component name, description, methods it applies to; None: all)
ERRORS = {
    "400": ("BadRequest", "Invalid input: the messages say what to correct.", None),
    "401": ("Unauthenticated", "Not logged in, or the token is wrong.", None),
    "403": ("Forbidden", "Logged in but not allowed to do this.", None),
    "404": ("NotFound", "No such object, or not one this user may see.", None),
    "409": ("Conflict", "The object is not in a state that allows this (already done, claimed by someone else...).",
            {"post", "put", "patch", "delete"}),
    "415": ("UnsupportedMediaType", "The body is not in a format this operation reads (JSON, or the form the "
            "schema names), or it cannot be parsed.", {"post", "put", "patch"}),
    "429": ("Throttled", "Too many requests: wait a minute.", None),
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: add the shared error answers to every operation."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    shared = components.setdefault("responses", {})
    for name, description, _methods in ERRORS.values():
        shared[name] = {"description": description, "content": body}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, (name, _description, methods) in ERRORS.items():
                if methods is None or method in methods:
                    responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    return result
