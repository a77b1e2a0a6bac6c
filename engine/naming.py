"""QuickBooks names from PSA names: `~` becomes the `:` of sub-items and Customer:Job, item
names follow the connector's naming convention, expense vendors are `v-Lastname, Firstname`,
and every name is held to QuickBooks' length limits from the request schema."""

from __future__ import annotations

from dataclasses import dataclass

from engine.qbxml.schema import max_length

ITEM_NAMING = ("billing-code", "role-work-type")
OVERFLOW_POLICIES = ("fail", "truncate")
MAX_LEVELS = 5  # QuickBooks' deepest sub-item / job hierarchy


def _limit(request: str) -> int:
    limit = max_length(request, "Name")
    assert limit is not None, f"{request} Name has no length limit in the schema data"
    return limit


ITEM_LEVEL = _limit("ItemServiceAddRq")  # 31 per level
CUSTOMER_LEVEL = _limit("CustomerAddRq")  # 41 per level
VENDOR_NAME = _limit("VendorAddRq")  # 41


@dataclass(frozen=True)
class QbName:
    """A QuickBooks name, or why there is none."""

    name: str | None
    problem: str | None = None
    truncated: bool = False


def hierarchy(psa_name: str) -> list[str]:
    """`Tech~On-Site Service` -> ["Tech", "On-Site Service"]."""
    return [part.strip() for part in psa_name.replace(":", "~").split("~") if part.strip()]


def _fit(levels: list[str], limit: int, what: str, truncate: bool) -> QbName:
    if not levels:
        return QbName(None, f"the {what} name is empty")
    if len(levels) > MAX_LEVELS:
        return QbName(
            None,
            f"the {what} name {':'.join(levels)!r} has {len(levels)} levels; "
            f"QuickBooks allows {MAX_LEVELS}",
        )
    fitted, truncated = [], False
    for level in levels:
        if len(level) > limit:
            if not truncate:
                return QbName(
                    None,
                    f"the {what} name {level!r} is {len(level)} characters; "
                    f"QuickBooks allows {limit} per level",
                )
            level, truncated = level[:limit].rstrip(), True
        fitted.append(level)
    return QbName(":".join(fitted), truncated=truncated)


def item_name(billing_code: str, role: str | None, convention: str, overflow: str) -> QbName:
    """The item a billing line lands on: one item per billing code, or Role:Work Type."""
    levels = hierarchy(billing_code)
    if convention == "role-work-type" and role:
        levels = hierarchy(role) + levels
    return _fit(levels, ITEM_LEVEL, "item", overflow == "truncate")


def product_item_name(product: str) -> QbName:
    """Purchase-order products become inventory items; their names are always cut at 31
    characters, as Autotask documents."""
    return _fit(hierarchy(product), ITEM_LEVEL, "item", truncate=True)


def customer_name(organization: str) -> QbName:
    """The customer (or Customer:Job) an organization becomes. Never truncated, whatever the
    connector's policy: a cut name can match another customer and merge two clients."""
    return _fit(hierarchy(organization), CUSTOMER_LEVEL, "customer", truncate=False)


def expense_vendor_name(first_name: str | None, last_name: str, overflow: str) -> QbName:
    """The vendor created for a resource's expense reports: `v-Lastname, Firstname`."""
    name = f"v-{last_name.strip()}" + (f", {first_name.strip()}" if first_name else "")
    if len(name) > VENDOR_NAME:
        if overflow != "truncate":
            return QbName(
                None,
                f"the vendor name {name!r} is {len(name)} characters; "
                f"QuickBooks allows {VENDOR_NAME}",
            )
        return QbName(name[:VENDOR_NAME].rstrip(), truncated=True)
    return QbName(name)


def person_names(first_name: str | None, last_name: str) -> list[str]:
    """The names an employee or vendor for this person may carry in QuickBooks."""
    first, last = (first_name or "").strip(), last_name.strip()
    return [n for n in (f"{first} {last}".strip(), f"{last}, {first}".strip(", "), last) if n]
