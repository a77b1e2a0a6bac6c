"""What a batch of transfers needs in QuickBooks first: the customers, items, vendors and
accounts its documents name. Known ones are looked up in the lists read model; the rest are
asked of QuickBooks by name, and those it lacks are created, parents before children. One that
cannot be created blocks its dependents with a message naming it; so does a record of the
right name but the wrong type (a non-inventory part where an inventory part is needed:
QuickBooks names are unique, so it can be neither used nor created)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from lxml import etree

from engine.plans import Dependency, Plan
from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response
from engine.steps.base import StepContext


class Resolving(Protocol):
    """A step state that resolves dependencies: what is known to exist (key -> e-mail
    address), what could not be made (key -> why), and whether QuickBooks was asked."""

    @property
    def known(self) -> dict[str, str]: ...

    @property
    def failed(self) -> dict[str, str]: ...

    @property
    def queried(self) -> bool: ...

    @property
    def rechecked(self) -> tuple[str, ...]: ...


FIELDS = {
    "customers": ["ListID", "FullName", "Email"],
    "items": ["ListID", "FullName"],
    "vendors": ["ListID", "Name"],
    "accounts": ["ListID", "FullName"],
}
QUERIES = {
    "customers": "CustomerQueryRq",
    "items": "ItemQueryRq",
    "vendors": "VendorQueryRq",
    "accounts": "AccountQueryRq",
}
DUPLICATE_NAME = 3100  # "The name ... of the list element is already in use."
_LISTS = {"CustomerRet": "customers", "VendorRet": "vendors", "AccountRet": "accounts"}


def needs(plans: Iterable[Plan]) -> dict[str, Dependency]:
    """Every dependency of the plans, by key."""
    return {need.key: need for plan in plans for need in plan.needs}


def customer_key(name: str) -> str:
    """A customer's dependency key (what `known` and `failed` are indexed by)."""
    return f"customers:{name.casefold()}"


def lookup(
    state: Resolving,
    plans: list[Plan],
    seen: dict[str, str],
    context: StepContext,
) -> tuple[dict[str, str], list[Dependency]]:
    """(what is known of the plans' dependencies, key -> e-mail address; what neither the
    pass, this session (`seen`) nor the lists read model knows)."""
    found, unknown = {}, []
    # Whether a customer has an e-mail address is asked of QuickBooks itself when an
    # invoice is to be e-mailed: the read model may not have seen the latest change yet.
    emailed = {customer_key(plan.entity) for plan in plans if plan.to_be_emailed}
    for key, need in needs(plans).items():
        if key in state.known or key in state.failed:
            continue
        if key in seen:
            found[key] = seen[key]
            continue
        if key in emailed and not state.queried:
            unknown.append(need)
            continue
        record = context.find_applied(need.list_name, need.full_name)
        if record is not None:
            found[key] = str((record.get("details") or {}).get("Email") or "")
            if need.record_types and record.get("type") not in need.record_types:
                # Asked of QuickBooks, which says which type it holds now.
                del found[key]
                unknown.append(need)
        else:
            unknown.append(need)
    return found, unknown


def queries(
    unknown: list[Dependency], request_id: str, context: StepContext
) -> list[etree._Element]:
    """One query by name per list the unknown dependencies are in."""
    out = []
    for index, list_name in enumerate(QUERIES):
        names = [n.full_name for n in unknown if n.list_name == list_name]
        if names:
            out.append(
                build_request(
                    QUERIES[list_name],
                    {"FullName": names},
                    request_id=f"{request_id}.q{index}",
                    version=context.qbxml_version,
                    include=FIELDS[list_name],
                )
            )
    return out


def found(
    responses: list[Response | None], asked: list[Dependency]
) -> tuple[dict[str, str], dict[str, str]]:
    """What QuickBooks' answers to `queries` hold (key -> e-mail address), and which of the
    `asked` dependencies it holds as a record of another type (key -> why that blocks)."""
    wanted = {need.key: need for need in asked}
    out, clashes = {}, {}
    for response in responses:
        for ret in response.rets if response is not None else []:
            list_name = _LISTS.get(ret.tag, "items")
            name = ret.findtext("FullName") or ret.findtext("Name") or ""
            key = f"{list_name}:{name.casefold()}"
            need, record_type = wanted.get(key), ret.tag.removesuffix("Ret")
            if need is not None and need.record_types and record_type not in need.record_types:
                clashes[key] = (
                    f"QuickBooks already has {name!r} as {_words(record_type)}, not "
                    f"{_words(need.record_types[0])}; names are unique in QuickBooks, so "
                    "convert it there or map the product to another item"
                )
                continue
            out[key] = ret.findtext("Email") or ""
    return out, clashes


def _words(record_type: str) -> str:
    return _TYPE_WORDS.get(record_type, record_type)


_TYPE_WORDS = {
    "ItemInventory": "an inventory part",
    "ItemNonInventory": "a non-inventory part",
    "ItemService": "a service item",
    "ItemOtherCharge": "an other charge item",
    "ItemInventoryAssembly": "an inventory assembly",
    "ItemGroup": "a group item",
}


def creation(need: Dependency, request_id: str, context: StepContext) -> etree._Element:
    """The add that creates a dependency (under its parent, when it has one)."""
    body = dict(need.body)
    if need.parent:
        body["ParentRef"] = {"FullName": need.parent}
    return build_request(
        need.request,
        body,
        request_id=request_id,
        version=context.qbxml_version,
        include=["ListID", "FullName"],
    )


def created(
    state: Resolving, asked: list[Dependency], responses: list[Response | None]
) -> tuple[dict[str, str], dict[str, str], bool, tuple[str, ...]]:
    """(known, failed, queried, rechecked) once QuickBooks answered the creations: what now
    exists, what could not be made (and the children of what could not be made)."""
    known, failed, lost = dict(state.known), dict(state.failed), False
    rechecked = list(state.rechecked)
    for need, response in zip(asked, responses, strict=False):
        if response is None:
            lost = True  # it may exist now: asked again by name before any new add
            continue
        if response.status.decision in (status.OK, status.WARNING):
            known[need.key] = need.email
        elif response.status.code == DUPLICATE_NAME and need.key not in rechecked:
            # Another step of the same message (an invoice's and a timesheet's customer)
            # may have just made it: asked for again by name, once, before it fails.
            rechecked.append(need.key)
            lost = True
        else:
            failed[need.key] = (
                f"QuickBooks could not create the {need.list_name[:-1]} "
                f"{need.full_name!r}: {response.status.code} {response.status.message}"
            )
    for need in asked:  # a child whose parent failed cannot be created either
        if need.parent and f"{need.list_name}:{need.parent.casefold()}" in failed:
            failed.setdefault(need.key, f"its parent {need.parent!r} could not be created")
    return known, failed, not lost, tuple(rechecked)


def blocked(state: Resolving, plan: Plan) -> str | None:
    """Why a plan cannot be sent yet (a dependency failed, an e-mailed invoice's customer
    has no address), or None."""
    for need in plan.needs:
        if need.key in state.failed:
            return state.failed[need.key]
    if plan.to_be_emailed and not state.known.get(customer_key(plan.entity)):
        return (
            f"the invoice is to be e-mailed, but customer {plan.entity!r} has no "
            "e-mail address in QuickBooks"
        )
    return None
