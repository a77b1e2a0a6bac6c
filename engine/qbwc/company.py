"""The first sendRequestXML of a session: which QuickBooks, which company file, which qbXML.

QBWC sends QuickBooks' Host, Company and Preferences answers (strHCPResponse) once per session.
The engine negotiates the qbXML version from them, links the company file to the connector on
its first session, and refuses a different file afterwards, so nothing is ever written into the
wrong company.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from engine.aggregates import WebConnector
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.session import QbwcSession
from engine.qbxml.parser import HostInfo, QbxmlParseError, parse_hcp
from engine.qbxml.schema import version_number
from engine.qwc import braced
from engine.steps import registry
from engine.text import bounded

MAX_FIELD = 200  # what the HCP response tells about the host, as recorded
MAX_VERSIONS = 64
OUR_VERSION = "13.0"  # the schema data the builder follows is qbXML 13
MIN_VERSION = 13.0


def negotiate_version(host: HostInfo, major: int, minor: int) -> str | None:
    """The highest version both sides speak: at most ours and QBWC's, listed by QuickBooks."""
    ceiling = min(version_number(OUR_VERSION), float(f"{major}.{minor}") if major else 99.0)
    candidates = [
        v
        for v in host.qbxml_versions
        if v and v[0].isdigit() and MIN_VERSION <= version_number(v) <= ceiling
    ]
    if not candidates:
        return None
    best = max(candidates, key=version_number)
    return f"{version_number(best):.1f}"


def check_company(
    session: QbwcSession,
    connector: WebConnector,
    lists: QuickBooksLists,
    hcp_response: str,
    company_file: str,
    country: str,
    major: int,
    minor: int,
    owner_id: UUID,
    now: datetime,
) -> str | None:
    """Record what QuickBooks has open and plan the session; the problem, if any, in words."""
    if not hcp_response.strip():
        return (
            "QBWC sent no host, company and preferences information on the first "
            "sendRequestXML; the session cannot check which company file is open."
        )
    try:
        host = parse_hcp(hcp_response)
    except QbxmlParseError as exc:
        return f"QBWC's host, company and preferences information is not readable ({exc})."
    version = negotiate_version(host, major, minor)
    if version is None:
        offered = ", ".join(host.qbxml_versions) or f"{major}.{minor}"
        return (
            f"{host.product or 'This QuickBooks'} is too old: it speaks qbXML {offered}, "
            f"and this server needs {MIN_VERSION:.1f} or later. Update QuickBooks Desktop."
        )
    file_id = host.data_ext_value(braced(owner_id), "FileID")
    linked = connector.company_file
    if linked is not None and str(linked["path"]).casefold() != company_file.casefold():
        return (
            f"Web connector '{connector.name}' is linked to company file '{linked['path']}', "
            f"but QuickBooks has '{company_file}' open. Nothing was transferred. Open the "
            "linked file, or clear the link (qbtransfer connectors clear-company-file) if "
            "the file really moved."
        )
    if (
        linked is not None
        and linked.get("file_id")
        and file_id
        and (str(linked["file_id"]).upper() != file_id.upper())
    ):
        return (
            f"The open company file '{company_file}' is not the one web connector "
            f"'{connector.name}' was linked to: its FileID is {file_id}, not "
            f"{linked['file_id']}. Nothing was transferred."
        )
    product, company_name = bounded(host.product, MAX_FIELD), bounded(host.company_name, MAX_FIELD)
    country = bounded(host.country or country, MAX_FIELD)
    file_id = bounded(file_id, MAX_FIELD) if file_id is not None else None
    session.record_company(
        {
            "product": product,
            "country": country,
            "qbxml_versions": [bounded(v, 16) for v in host.qbxml_versions[:MAX_VERSIONS]],
            "file_mode": bounded(host.file_mode, MAX_FIELD),
            "company_name": company_name,
            "file_id": file_id,
        },
        company_file,
        version,
        now,
    )
    if linked is None:
        connector.link_company_file(
            company_file, file_id, company_name, country, product, version, now
        )
    elif linked.get("qbxml_version") != version:
        connector.change_qbxml_version(version, product, now)
    session.plan(registry.plan(lists, connector), now)
    return None
