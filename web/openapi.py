"""The JSON API described as OpenAPI 3.0, served at /api/v1/openapi.json.

Kept by hand beside the routes; `tests/test_openapi.py` checks that it names exactly the routes
the app has, and fuzzes every operation with schemathesis (no answer may be a 500).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

openapi = Blueprint("openapi", __name__)

_STRING = {"type": "string"}
_BOOL = {"type": "boolean"}
_INT = {"type": "integer"}
_ERROR = {
    "description": "refused: {error, detail}",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error", "detail"],
                "properties": {"error": _STRING, "detail": _STRING},
            }
        }
    },
}
_OK = {"description": "done", "content": {"application/json": {"schema": {"type": "object"}}}}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _operation(
    summary: str,
    body: dict[str, Any] | None = None,
    query: dict[str, dict[str, Any]] | None = None,
    status: str = "200",
    media: str = "application/json",
) -> dict[str, Any]:
    done = _OK
    if media != "application/json":
        done = {"description": "done", "content": {media: {"schema": _STRING}}}
    operation: dict[str, Any] = {"summary": summary, "responses": {status: done, "4XX": _ERROR}}
    if body is not None:
        operation["requestBody"] = {"content": {"application/json": {"schema": body}}}
    if query:
        operation["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in query.items()
        ]
    return operation


_ACCOUNT = _object(
    {
        "status": {"type": "string", "enum": ["active", "inactive", "suspended"]},
        "strong_passwords": _BOOL,
        "password_expiry_days": {"type": "integer", "nullable": True},
        "lockout_attempts": _INT,
        "public_url": {"type": "string", "nullable": True},
    }
)
_NEW_USER = _object(
    {
        "username": _STRING,
        "security_level": {"type": "string", "enum": ["admin", "api_only"]},
        "tracking_id": _STRING,
        "display_name": _STRING,
        "password": _STRING,
    },
    ("username", "security_level"),
)
_USER_CHANGE = _object(
    {
        "status": {"type": "string", "enum": ["active", "inactive", "locked"]},
        "password": _STRING,
        "expire_password": _BOOL,
    }
)
_CONNECTOR_CHANGE = _object(
    {
        "name": _STRING,
        "api_user": _STRING,
        "transfer_invoices": _BOOL,
        "transfer_timesheets": _BOOL,
        "transfer_expense_reports": _BOOL,
        "transfer_purchase_orders": _BOOL,
        "sync_inventory_now": _BOOL,
        "emails": {"oneOf": [_STRING, {"type": "array", "items": _STRING}]},
        "auto_run_minutes": _INT,
        "income_account": {"type": "string", "nullable": True},
        "transfer_taxes_directly": _BOOL,
        "item_naming": {"type": "string", "enum": ["billing-code", "role-work-type"]},
        "name_overflow": {"type": "string", "enum": ["fail", "truncate"]},
        "transfer_cash_advances": _BOOL,
    }
)
_FLAG = {"type": "string", "enum": ["0", "1", "true", "false"]}

PATHS: dict[str, dict[str, Any]] = {
    "/account": {
        "get": _operation("The account's status and password policy"),
        "patch": _operation("Change the account's status or password policy", _ACCOUNT),
    },
    "/users": {
        "get": _operation("Every user"),
        "post": _operation("Create a user", _NEW_USER, status="201"),
    },
    "/users/{username}": {
        "get": _operation("One user"),
        "patch": _operation("Change a user's status or password", _USER_CHANGE),
    },
    "/connectors": {
        "get": _operation("Every web connector"),
        "post": _operation(
            "Create a web connector",
            _object({"name": _STRING, "api_user": _STRING}, ("name", "api_user")),
            status="201",
        ),
    },
    "/connectors/{ref}": {
        "get": _operation("One web connector, with its QuickBooks list counts"),
        "patch": _operation("Change a web connector's settings", _CONNECTOR_CHANGE),
    },
    "/connectors/{ref}/qwc": {
        "post": _operation(
            "A new .qwc file (a new registration)",
            _object({"user": _STRING}),
            media="application/x-qwc",
        ),
    },
    "/connectors/{ref}/registrations": {"get": _operation("A connector's registrations")},
    "/registrations/{registration_id}": {"get": _operation("One registration")},
    "/registrations/{registration_id}/revoke": {
        "post": _operation("Revoke a registration", _object({"reason": _STRING})),
    },
    "/tokens": {
        "get": _operation("Every API token (never the token itself)"),
        "post": _operation(
            "A new API token, shown once", _object({"name": _STRING}, ("name",)), status="201"
        ),
    },
    "/tokens/{ref}/revoke": {"post": _operation("Revoke an API token (by id or name)")},
    "/import/schema": {"get": _operation("The JSON Schema of qbtransfer-psa/1")},
    "/import": {
        "post": _operation(
            "Import a qbtransfer-psa/1 document",
            {"type": "object"},
            query={"dry_run": _FLAG, "continue_on_error": _FLAG},
        ),
    },
    "/documents": {
        "get": _operation(
            "Documents",
            query={
                "type": {
                    "type": "string",
                    "enum": ["invoice", "timesheet", "expense-report", "purchase-order"],
                },
                "status": _STRING,
                "since": _STRING,
            },
        ),
    },
    "/documents/{document_type}/{document_id}": {"get": _operation("One document")},
    "/documents/{document_type}/{document_id}/ready": {
        "post": _operation("Mark a document Ready to Transfer")
    },
    "/documents/{document_type}/{document_id}/withdraw": {
        "post": _operation("Take a document off the queue")
    },
    "/organizations/{psa_id}/assign": {
        "post": _operation(
            "Send an organization's work to a connector (null: the default)",
            _object({"connector": {"type": "string", "nullable": True}}, ("connector",)),
        ),
    },
    "/resources/{psa_id}/assign": {
        "post": _operation(
            "Send a resource's work to a connector (null: the default)",
            _object({"connector": {"type": "string", "nullable": True}}, ("connector",)),
        ),
    },
    "/connectors/{ref}/mappings": {
        "get": _operation("A connector's mappings", query={"category": _STRING}),
    },
    "/connectors/{ref}/mappings/{category}/{psa_id}": {
        "put": _operation(
            "Map a PSA code to a QuickBooks record",
            _object({"quickbooks": _STRING}, ("quickbooks",)),
        ),
        "delete": _operation("Clear a mapping"),
    },
    "/connectors/{ref}/check": {"get": _operation("The readiness check")},
    "/connectors/{ref}/lists": {
        "get": _operation("When each QuickBooks list was last pulled, and any pending refresh")
    },
    "/connectors/{ref}/refresh-lists": {
        "post": _operation(
            "Pull the lists at the next run (full: every record again)",
            _object({"full": {"type": "boolean"}}, ()),
        ),
    },
    "/connectors/{ref}/sync-deletions": {
        "post": _operation("Look for records deleted in QuickBooks at the next run"),
    },
    "/connectors/{ref}/inventory-syncs": {
        "get": _operation("The Inventory Synchronization History, newest run first")
    },
    "/transfers": {
        "get": _operation(
            "Transfers; status pending or pending_failed are the two queues",
            query={"connector": _STRING, "type": _STRING, "status": _STRING, "limit": _STRING},
        ),
    },
    "/connectors/{ref}/transfers/{document_type}/{document_id}": {
        "get": _operation("One document's transfer through a connector"),
    },
    "/connectors/{ref}/transfers/{document_type}/{document_id}/requeue": {
        "post": _operation("Send a failed transfer again at the next session"),
    },
    "/connectors/{ref}/transfers/{document_type}/{document_id}/mark-not-transferred": {
        "post": _operation("Say a document is not in QuickBooks (it is sent again)"),
    },
    "/sessions": {
        "get": _operation(
            "The latest QBWC sessions, newest first",
            query={"connector": _STRING, "limit": _STRING},
        ),
    },
    "/sessions/{ref}": {
        "get": _operation(
            "One session (id or unambiguous prefix) with every exchange; xml=1 adds the qbXML",
            query={"xml": {"type": "string", "enum": ["0", "1"]}},
        ),
    },
    "/history": {
        "get": _operation(
            "The transfer history, newest first (format=csv for accountants)",
            query={
                "connector": _STRING,
                "type": _STRING,
                "result": {"type": "string", "enum": ["ok", "failed", "in-doubt", "skipped"]},
                "since": _STRING,
                "until": _STRING,
                "document": _STRING,
                "limit": _STRING,
                "page": _STRING,
                "format": {"type": "string", "enum": ["json", "csv"]},
            },
        ),
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document, with the path parameters each path names."""
    paths: dict[str, Any] = {}
    for path, operations in PATHS.items():
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _STRING} for name in names
        ]
        paths[path] = {**operations, **({"parameters": parameters} if parameters else {})}
    return {
        "openapi": "3.0.3",
        "info": {"title": "qbtransfer admin API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
        "paths": paths,
    }


@openapi.get("/api/v1/openapi.json")
def openapi_json():
    """The document itself needs no token: it describes, and grants nothing."""
    return jsonify(document())
