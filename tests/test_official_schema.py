"""The simulated QuickBooks refuses what Intuit's official qbXML 13.0 schema refuses.

One test per change listed in `engine/qbxml/SCHEMA-README.md` (the notes that came with the
schema data rebuilt from the official schema): each is refused where QuickBooks refuses it,
with HRESULT 0x80040400 and nothing done, and accepted in the form the schema allows.
"""

from __future__ import annotations

import pytest

from engine.steps.lists import LIST_QUERIES
from tests.qbsim import Company, RequestProcessorError

GUID = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"
NO_ITERATOR = [
    "AccountQueryRq",
    "ClassQueryRq",
    "EmployeeQueryRq",
    "PayrollItemWageQueryRq",
    "StandardTermsQueryRq",
    "TermsQueryRq",
    "SalesTaxCodeQueryRq",
    "ShipMethodQueryRq",
    "ListDeletedQueryRq",
    "TxnDeletedQueryRq",
]


@pytest.fixture
def company() -> Company:
    c = Company.from_json(
        {
            "company": {"name": "Strict Books", "seed": 3},
            "lists": {
                "account": [
                    {"Name": "Autotask Other", "AccountType": "Income"},
                    {"Name": "Travel", "AccountType": "Expense"},
                    {"Name": "Inventory Adjustment", "AccountType": "CostOfGoodsSold"},
                ],
                "customer": [{"Name": "Bright"}],
                "vendor": [{"Name": "Ingram Micro"}],
                "employee": [{"Name": "Dana Whitfield"}],
                "item_service": [
                    {
                        "Name": "Remote Support",
                        "SalesOrPurchase": {"AccountRef": {"FullName": "Autotask Other"}},
                    }
                ],
                "item_inventory": [
                    {
                        "Name": "Laptop",
                        "IncomeAccountRef": {"FullName": "Autotask Other"},
                        "COGSAccountRef": {"FullName": "Inventory Adjustment"},
                        "AssetAccountRef": {"FullName": "Travel"},
                        "QuantityOnHand": "5",
                    }
                ],
            },
        }
    )
    c.begin_session()
    return c


def run(company: Company, request: str, version: str = "13.0") -> str:
    return company.process(
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?><QBXML>'
        f'<QBXMLMsgsRq onError="stopOnError">{request}</QBXMLMsgsRq></QBXML>'
    )


def refused(company: Company, request: str, detail: str, version: str = "13.0") -> None:
    before = company.to_json()
    with pytest.raises(RequestProcessorError) as info:
        run(company, request, version)
    assert info.value.hresult == "0x80040400"
    assert detail in info.value.detail
    assert company.to_json() == before  # the whole message set is refused; nothing ran


def accepted(company: Company, request: str) -> str:
    answer = run(company, request)
    assert 'statusCode="0"' in answer, answer
    return answer


def invoice(body: str = "", *, customer: bool = True, after: str = "") -> str:
    ref = "<CustomerRef><FullName>Bright</FullName></CustomerRef>" if customer else ""
    return (
        f'<InvoiceAddRq requestID="i"><InvoiceAdd>{ref}{body}'
        "<InvoiceLineAdd><ItemRef><FullName>Remote Support</FullName></ItemRef>"
        f"<Amount>10.00</Amount></InvoiceLineAdd></InvoiceAdd>{after}</InvoiceAddRq>"
    )


def time_tracking(body: str) -> str:
    return (
        f'<TimeTrackingAddRq requestID="t"><TimeTrackingAdd>{body}</TimeTrackingAdd>'
        "</TimeTrackingAddRq>"
    )


ENTITY = "<EntityRef><FullName>Dana Whitfield</FullName></EntityRef>"


# -- attributes: request-attributes.json ---------------------------------------------------------


@pytest.mark.parametrize("request_name", NO_ITERATOR)
def test_queries_without_iterators_refuse_one(company, request_name):
    body = "<ListDelType>Account</ListDelType>" if request_name == "ListDeletedQueryRq" else ""
    body = "<TxnDelType>Invoice</TxnDelType>" if request_name == "TxnDeletedQueryRq" else body
    refused(
        company,
        f'<{request_name} requestID="1" iterator="Start">{body}</{request_name}>',
        f"<{request_name}> does not take the attribute iterator",
    )
    # What they do take: requestID and metaData.
    run(company, f'<{request_name} requestID="1" metaData="NoMetaData">{body}</{request_name}>')


@pytest.mark.parametrize(
    "request_name", ["CustomerQueryRq", "VendorQueryRq", "ItemQueryRq", "InvoiceQueryRq"]
)
def test_the_paging_queries_take_iterators(company, request_name):
    answer = run(
        company,
        f'<{request_name} requestID="1" iterator="Start"><MaxReturned>5</MaxReturned>'
        f"</{request_name}>",
    )
    assert "iteratorID=" in answer


def test_adds_take_only_a_request_id(company):
    refused(
        company,
        invoice().replace('requestID="i"', 'requestID="i" metaData="NoMetaData"'),
        "<InvoiceAddRq> does not take the attribute metaData",
    )
    refused(company, '<CustomerQueryRq requestID="1" colour="red"/>', "attribute colour")
    refused(company, '<CustomerQueryRq iterator="Begin"/>', "iterator must be one of")


def test_the_product_lists_only_page_where_the_schema_lets_them():
    from engine.qbxml.schema import takes_iterator

    paged = {name for name, query in LIST_QUERIES.items() if takes_iterator(query)}
    assert paged == {"vendors", "items", "customers"}


# -- ExternalGUID on the adds, never on a mod --------------------------------------------------


@pytest.mark.parametrize(
    "add",
    [
        invoice(f"<ExternalGUID>{GUID}</ExternalGUID>"),
        time_tracking(f"{ENTITY}<Duration>PT1H30M</Duration><ExternalGUID>{GUID}</ExternalGUID>"),
        '<BillAddRq requestID="b"><BillAdd><VendorRef><FullName>Ingram Micro</FullName>'
        f"</VendorRef><ExternalGUID>{GUID}</ExternalGUID><ExpenseLineAdd><AccountRef>"
        "<FullName>Travel</FullName></AccountRef><Amount>5.00</Amount></ExpenseLineAdd>"
        "</BillAdd></BillAddRq>",
        '<ItemReceiptAddRq requestID="r"><ItemReceiptAdd><VendorRef><FullName>Ingram Micro'
        "</FullName></VendorRef><ExchangeRate>1.0</ExchangeRate>"
        f"<ExternalGUID>{GUID}</ExternalGUID><ItemLineAdd><ItemRef><FullName>Laptop</FullName>"
        "</ItemRef><Quantity>1</Quantity></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>",
        '<InventoryAdjustmentAddRq requestID="a"><InventoryAdjustmentAdd><AccountRef><FullName>'
        "Inventory Adjustment</FullName></AccountRef><Memo>count</Memo>"
        f"<ExternalGUID>{GUID}</ExternalGUID><InventoryAdjustmentLineAdd><ItemRef><FullName>"
        "Laptop</FullName></ItemRef><QuantityAdjustment><NewQuantity>4</NewQuantity>"
        "</QuantityAdjustment></InventoryAdjustmentLineAdd></InventoryAdjustmentAdd>"
        "</InventoryAdjustmentAddRq>",
        '<CustomerAddRq requestID="c"><CustomerAdd><Name>New Client</Name>'
        f"<ExternalGUID>{GUID}</ExternalGUID></CustomerAdd></CustomerAddRq>",
        '<VendorAddRq requestID="v"><VendorAdd><Name>v-Doe, Jane</Name>'
        f"<ExternalGUID>{GUID}</ExternalGUID></VendorAdd></VendorAddRq>",
    ],
    ids=["invoice", "time", "bill", "item-receipt", "inventory-adjustment", "customer", "vendor"],
)
def test_every_add_we_send_takes_an_external_guid_and_returns_it(company, add):
    assert f"<ExternalGUID>{GUID}</ExternalGUID>" in accepted(company, add)


def test_external_guid_is_refused_on_a_mod_out_of_place_malformed_or_before_13(company):
    refused(
        company,
        '<CustomerModRq requestID="m"><CustomerMod><ListID>1-1</ListID><EditSequence>1'
        f"</EditSequence><ExternalGUID>{GUID}</ExternalGUID></CustomerMod></CustomerModRq>",
        "unknown element <ExternalGUID>",
    )
    refused(
        company,
        '<ItemReceiptAddRq requestID="r"><ItemReceiptAdd><VendorRef><FullName>Ingram Micro'
        f"</FullName></VendorRef><ExternalGUID>{GUID}</ExternalGUID>"
        "<ExchangeRate>1.0</ExchangeRate></ItemReceiptAdd></ItemReceiptAddRq>",
        "out of order",
    )
    refused(company, invoice("<ExternalGUID>6B29FC40</ExternalGUID>"), "not a valid GUIDTYPE")
    refused(
        company, invoice(f"<ExternalGUID>{GUID}</ExternalGUID>"), "needs qbXML 13", version="12.0"
    )


# -- what qbXML 13.0 (US) does not have --------------------------------------------------------


@pytest.mark.parametrize("element", ["County", "Province"])
def test_us_addresses_have_no_county_or_province(company, element):
    address = f"<BillAddress><Addr1>1 Main St</Addr1><{element}>X</{element}></BillAddress>"
    refused(company, invoice(address), f"unknown element <{element}>")
    refused(
        company,
        f"<CustomerAddRq><CustomerAdd><Name>Addressed</Name>{address}</CustomerAdd></CustomerAddRq>",
        f"unknown element <{element}>",
    )
    accepted(
        company,
        "<CustomerAddRq><CustomerAdd><Name>Addressed</Name><BillAddress><Addr1>1 Main St"
        "</Addr1><State>CA</State></BillAddress></CustomerAdd></CustomerAddRq>",
    )


def test_time_tracking_has_billable_status_not_is_billable(company):
    refused(
        company,
        time_tracking(f"{ENTITY}<Duration>PT2H</Duration><IsBillable>true</IsBillable>"),
        "unknown element <IsBillable>",
    )
    accepted(
        company,
        time_tracking(
            f"{ENTITY}<Duration>PT2H</Duration><BillableStatus>Billable</BillableStatus>"
        ),
    )
    refused(
        company,
        time_tracking(f"{ENTITY}<Duration>PT2H</Duration><BillableStatus>Yes</BillableStatus>"),
        "is not one of",
    )


@pytest.mark.parametrize("duration", ["1.5", "PT", "90", "PT1.5H", "01:30"])
def test_duration_is_a_time_interval(company, duration):
    refused(
        company,
        time_tracking(f"{ENTITY}<Duration>{duration}</Duration>"),
        "not a valid TIMEINTERVALTYPE",
    )


def test_time_tracking_takes_a_rate_and_needs_an_entity_and_a_duration(company):
    accepted(company, time_tracking(f"{ENTITY}<Rate>95.00</Rate><Duration>PT0H45M</Duration>"))
    refused(company, time_tracking("<Duration>PT1H</Duration>"), "needs a <EntityRef>")
    refused(company, time_tracking(ENTITY), "needs a <Duration>")


def test_required_aggregates_with_optional_leaves(company):
    refused(company, invoice(customer=False), "<InvoiceAdd> needs a <CustomerRef>")
    refused(
        company,
        "<BillAddRq><BillAdd><ExpenseLineAdd><Amount>1.00</Amount></ExpenseLineAdd></BillAdd>"
        "</BillAddRq>",
        "<BillAdd> needs a <VendorRef>",
    )
    refused(company, "<InvoiceAddRq/>", "needs its <InvoiceAdd>")
    refused(
        company,
        "<CustomerAddRq><CustomerAdd><CompanyName>X</CompanyName></CustomerAdd></CustomerAddRq>",
        "needs a <Name>",
    )
    refused(company, "<ListDeletedQueryRq/>", "needs a <ListDelType>")


# -- FullName limits belong to the reference type ----------------------------------------------


@pytest.mark.parametrize(
    ("ref", "limit"),
    [
        ("CustomerSalesTaxCodeRef", 3),
        ("ShipMethodRef", 15),
        ("TermsRef", 31),
        ("SalesRepRef", 5),
        ("ClassRef", 159),
        ("CustomerRef", 209),
    ],
)
def test_a_full_name_limit_belongs_to_its_reference_type(company, ref, limit):
    # One reference at a time in its schema position; only the length varies.
    order = [
        "CustomerRef",
        "ClassRef",
        "TermsRef",
        "SalesRepRef",
        "ShipMethodRef",
        "CustomerSalesTaxCodeRef",
    ]
    refs = {name: "" for name in order}
    refs["CustomerRef"] = "<CustomerRef><FullName>Bright</FullName></CustomerRef>"

    def body(name: str) -> str:
        parts = dict(refs, **{ref: f"<{ref}><FullName>{name}</FullName></{ref}>"})
        return "".join(parts[n] for n in order)

    request = (
        "<InvoiceAddRq><InvoiceAdd>{}<InvoiceLineAdd><Amount>1.00</Amount></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>"
    )
    refused(company, request.format(body("N" * (limit + 1))), f"more than its maximum {limit}")
    try:  # the limit itself passes the schema (the record may not exist: that is not a parse error)
        run(company, request.format(body("N" * limit)))
    except RequestProcessorError as exc:  # pragma: no cover - a failure explains itself
        pytest.fail(f"{ref} of {limit} characters refused: {exc.detail}")


def test_vendor_ref_is_41_item_ref_has_no_schema_limit_and_print_as_is_41(company):
    refused(
        company,
        f"<BillAddRq><BillAdd><VendorRef><FullName>{'V' * 42}</FullName></VendorRef>"
        "</BillAdd></BillAddRq>",
        "maximum 41",
    )
    item = "Parent:" * 40 + "Child"
    answer = run(company, invoice().replace("Remote Support", item))
    assert 'statusCode="3140"' in answer  # not a parse error: QuickBooks looks the item up
    refused(
        company,
        f"<CustomerAddRq><CustomerAdd><Name>P</Name><PrintAs>{'P' * 42}</PrintAs></CustomerAdd>"
        "</CustomerAddRq>",
        "maximum 41",
    )


# -- queries and the place of IncludeRetElement ------------------------------------------------


def test_ref_number_filter_takes_one_ref_number(company):
    refused(
        company,
        "<InvoiceQueryRq><RefNumberFilter><MatchCriterion>StartsWith</MatchCriterion>"
        "<RefNumber>1</RefNumber><RefNumber>2</RefNumber></RefNumberFilter></InvoiceQueryRq>",
        "<RefNumber> appears twice",
    )
    run(
        company, "<InvoiceQueryRq><RefNumber>1</RefNumber><RefNumber>2</RefNumber></InvoiceQueryRq>"
    )


def test_include_ret_element_goes_after_the_wrapper_on_adds_and_mods(company):
    refused(
        company,
        "<CustomerAddRq><CustomerAdd><Name>Inside</Name><IncludeRetElement>ListID"
        "</IncludeRetElement></CustomerAdd></CustomerAddRq>",
        "unknown element <IncludeRetElement>",
    )
    answer = accepted(
        company,
        "<CustomerAddRq><CustomerAdd><Name>Outside</Name></CustomerAdd>"
        "<IncludeRetElement>ListID</IncludeRetElement></CustomerAddRq>",
    )
    assert "<ListID>" in answer and "<Name>" not in answer


def test_inventory_value_adjustments_carry_no_amounts(company):
    line = (
        "<InventoryAdjustmentLineAdd><ItemRef><FullName>Laptop</FullName></ItemRef>"
        "<ValueAdjustment><QuantityDifference>1</QuantityDifference>{}</ValueAdjustment>"
        "</InventoryAdjustmentLineAdd>"
    )
    request = (
        "<InventoryAdjustmentAddRq><InventoryAdjustmentAdd><AccountRef><FullName>Inventory "
        "Adjustment</FullName></AccountRef>{}</InventoryAdjustmentAdd></InventoryAdjustmentAddRq>"
    )
    refused(
        company,
        request.format(line.format("<NewValue>100.00</NewValue>")),
        "unknown element <NewValue>",
    )
