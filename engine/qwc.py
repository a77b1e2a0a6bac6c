"""The .qwc file QBWC loads: its writer and the validator that guards it.

The validator checks every rule of the QBWC programmer's guide as summarised in
`qbwc-protocol.md` §5, so a file we hand out is one QBWC accepts. The writer never returns a
file the validator finds fault with.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from uuid import UUID

from lxml import etree

from engine.errors import InvalidValue

REQUIRED = (
    "AppName",
    "AppID",
    "AppURL",
    "AppDescription",
    "AppSupport",
    "UserName",
    "OwnerID",
    "FileID",
    "QBType",
)
OPTIONAL = (
    "AppDisplayName",
    "AppUniqueName",
    "Scheduler",
    "IsReadOnly",
    "PersonalDataPref",
    "UnattendedModePref",
    "AuthFlags",
    "Notify",
    "Style",
    "CertURL",
)
ENUMS = {
    "QBType": ("QBFS", "QBPOS"),
    "IsReadOnly": ("true", "false"),
    "PersonalDataPref": ("pdpNotNeeded", "pdpOptional", "pdpRequired"),
    "UnattendedModePref": ("umpRequired", "umpOptional"),
    "Notify": ("true", "false"),
    "Style": ("Document", "DocWrapped", "RPC"),
}
APP_DESCRIPTION_MAX = 80
BRACED_GUID = re.compile(
    r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$"
)
AUTH_FLAGS = re.compile(r"^0x[0-9A-Fa-f]{1,8}$")
INTUIT_DOMAINS = ("intuit.com", "quickbooks.com")

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


class QwcRefused(InvalidValue):
    """A .qwc that QBWC would reject; `problems` lists every rule it breaks."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the .qwc file would be rejected by QBWC: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class QwcSpec:
    """What goes into a .qwc file, in QBWC's own terms."""

    app_name: str
    app_url: str
    app_support: str
    app_description: str
    username: str
    owner_id: UUID
    file_id: UUID
    run_every_minutes: int
    app_id: str = ""
    qb_type: str = "QBFS"
    extra: dict[str, str] = field(default_factory=dict)


def braced(guid: UUID) -> str:
    """A GUID the way QBWC writes it: upper case, in braces."""
    return "{" + str(guid).upper() + "}"


def build_qwc(spec: QwcSpec) -> str:
    """The .qwc text for `spec`; raises `QwcRefused` if QBWC would reject it."""
    root = etree.Element("QBWCXML")
    values = [
        ("AppName", spec.app_name),
        ("AppID", spec.app_id),
        ("AppURL", spec.app_url),
        ("AppDescription", spec.app_description),
        ("AppSupport", spec.app_support),
        ("UserName", spec.username),
        ("OwnerID", braced(spec.owner_id)),
        ("FileID", braced(spec.file_id)),
        ("QBType", spec.qb_type),
    ]
    for tag, value in values:
        etree.SubElement(root, tag).text = value
    scheduler = etree.SubElement(root, "Scheduler")
    etree.SubElement(scheduler, "RunEveryNMinutes").text = str(spec.run_every_minutes)
    defaults = {
        "IsReadOnly": "false",
        "UnattendedModePref": "umpOptional",
        "PersonalDataPref": "pdpNotNeeded",
        "Style": "Document",
    }
    for tag, value in {**defaults, **spec.extra}.items():
        etree.SubElement(root, tag).text = value
    # lxml escapes &, < and > in text, which is what keeps QBWC from refusing the file.
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + etree.tostring(
        root, encoding="unicode", pretty_print=True
    )
    problems = validate_qwc(text)
    if problems:
        raise QwcRefused(problems)
    return text


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def local_address_warning(url: str) -> str | None:
    """A warning when `url` only reaches this machine (a .qwc for it works only when QBWC
    runs here too); None otherwise."""
    if (urlsplit(url).hostname or "").lower() not in LOCAL_HOSTS:
        return None
    return (
        f"this .qwc points at {url}, which QBWC reaches only when it runs on this machine; "
        "store the address QBWC reaches this server at with "
        "`qbtransfer account set --public-url https://HOST` (PUBLIC_URL overrides it)"
    )


def check_app_url(url: str) -> list[str]:
    """Problems QBWC has with `url` as an AppURL (https unless localhost; a DNS name)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return [f"AppURL {url!r} is not an absolute http(s) URL"]
    problems = []
    if _is_ip(host):
        problems.append(
            f"AppURL host {host} is an IP address; QBWC refuses those (QBWC1001): set "
            "PUBLIC_URL to a DNS name that reaches this server"
        )
    if parts.scheme != "https" and host != "localhost":
        problems.append(
            f"AppURL {url} is not https; QBWC only accepts plain http for localhost "
            "(QBWC1051): set PUBLIC_URL to the https address QBWC reaches this server at"
        )
    return problems


def validate_qwc(text: str | bytes) -> list[str]:
    """Every rule of the .qwc format that `text` breaks; an empty list means QBWC accepts it."""
    try:
        root = etree.fromstring(text.encode() if isinstance(text, str) else text, _PARSER)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # lxml-stubs lack it
        return ["the file has a DOCTYPE; QBWC files must not"]
    if root.tag != "QBWCXML":
        return [f"the root element is <{root.tag}>, not <QBWCXML>"]
    problems: list[str] = []
    seen: dict[str, etree._Element] = {}
    for child in root:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions are harmless
        if child.tag not in REQUIRED + OPTIONAL:
            problems.append(f"unknown element <{child.tag}> (QBWC1039)")
        elif child.tag in seen:
            problems.append(f"<{child.tag}> appears more than once")
        seen[child.tag] = child

    def value(tag: str) -> str:
        return (seen[tag].text or "").strip() if tag in seen else ""

    for tag in REQUIRED:
        if tag not in seen:
            problems.append(f"required element <{tag}> is missing (QBWC1039)")
        elif tag != "AppID" and not value(tag):
            problems.append(f"<{tag}> is empty")
    for tag, allowed in ENUMS.items():
        if tag in seen and value(tag) not in allowed:
            problems.append(f"<{tag}> is {value(tag)!r}; allowed: {', '.join(allowed)}")
    if value("AppURL"):
        problems += check_app_url(value("AppURL"))
    if value("AppSupport"):
        problems += _check_app_support(value("AppSupport"), value("AppURL"))
    if len(value("AppDescription")) > APP_DESCRIPTION_MAX:
        problems.append(f"<AppDescription> is longer than {APP_DESCRIPTION_MAX} characters")
    for tag in ("OwnerID", "FileID"):
        if value(tag) and not BRACED_GUID.match(value(tag)):
            problems.append(f"<{tag}> {value(tag)!r} is not a GUID in braces")
    if value("AuthFlags") and not AUTH_FLAGS.match(value("AuthFlags")):
        problems.append(f"<AuthFlags> {value('AuthFlags')!r} is not a hex bitmask such as 0xF")
    if "CertURL" in seen and urlsplit(value("CertURL")).scheme != "https":
        problems.append("<CertURL> must be an https URL")
    if "Scheduler" in seen:
        problems += _check_scheduler(seen["Scheduler"])
    return problems


def _check_app_support(support: str, app_url: str) -> list[str]:
    parts = urlsplit(support)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return [f"AppSupport {support!r} is not an absolute http(s) URL"]
    problems = []
    if _is_ip(host):
        problems.append(f"AppSupport host {host} is an IP address (QBWC1002)")
    if any(host == d or host.endswith("." + d) for d in INTUIT_DOMAINS):
        problems.append("AppSupport must not be an Intuit site")
    app_host = (urlsplit(app_url).hostname or "").lower()
    if app_host and _domain(app_host) != _domain(host):
        problems.append(
            f"AppSupport host {host} is not on the same domain as AppURL host {app_host} (QBWC1000)"
        )
    return problems


def _check_scheduler(scheduler: etree._Element) -> list[str]:
    children = [c for c in scheduler if isinstance(c.tag, str)]
    problems = []
    for child in children:
        if child.tag not in ("RunEveryNMinutes", "RunEveryNSeconds"):
            problems.append(f"unknown element <Scheduler><{child.tag}>")
        elif not (child.text or "").strip().isdigit() or int(child.text or "0") < 1:
            problems.append(f"<{child.tag}> must be a positive whole number")
    if len(children) != 1:
        problems.append(
            "<Scheduler> must hold exactly one of <RunEveryNMinutes> or <RunEveryNSeconds> "
            "(with both, QBWC silently takes the first)"
        )
    return problems


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _domain(host: str) -> str:
    """The registrable part of a host, near enough for QBWC's same-domain rule."""
    labels = host.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else host
