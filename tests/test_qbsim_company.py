"""The simulated QuickBooks company answers qbXML the way QuickBooks Desktop does."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.qbsim import Company, RequestProcessorError


def message(
    *requests: str, on_error: str = "stopOnError", version: str = "13.0", attrs: str = ""
) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?><QBXML>'
        f'<QBXMLMsgsRq onError="{on_error}"{attrs}>' + "".join(requests) + "</QBXMLMsgsRq></QBXML>"
    )


def responses(text: str) -> list[etree._Element]:
    root = etree.fromstring(text.encode())
    return [rs for rs in root.find("QBXMLMsgsRs")]


def one(company: Company, request: str, **kw) -> etree._Element:
    [rs] = responses(company.process(message(request, **kw)))
    return rs


def customer_add(name: str, rid: str = "1", extra: str = "") -> str:
    return (
        f'<CustomerAddRq requestID="{rid}"><CustomerAdd><Name>{name}</Name>{extra}'
        "</CustomerAdd></CustomerAddRq>"
    )


@pytest.fixture
def company() -> Company:
    c = Company.from_json(
        {
            "company": {"name": "Acme Books", "seed": 7},
            "lists": {
                "account": [
                    {"Name": "Autotask Other", "AccountType": "Income"},
                    {"Name": "Cost of Goods Sold", "AccountType": "CostOfGoodsSold"},
                    {"Name": "Inventory Asset", "AccountType": "OtherCurrentAsset"},
                    {"Name": "Inventory Adjustment", "AccountType": "CostOfGoodsSold"},
                    {"Name": "Travel", "AccountType": "Expense"},
                ],
                "class": [{"Name": "Helpdesk"}],
                "customer": [{"Name": "Bright"}],
                "vendor": [{"Name": "Ingram Micro"}],
                "employee": [{"Name": "Dana Whitfield"}],
                "payroll_item_wage": [{"Name": "Regular Pay", "WageType": "Hourly"}],
                "item_service": [
                    {
                        "Name": "Remote Support",
                        "SalesOrPurchase": {
                            "Price": "150.00",
                            "AccountRef": {"FullName": "Autotask Other"},
                        },
                    }
                ],
                "item_inventory": [
                    {
                        "Name": "Laptop",
                        "IncomeAccountRef": {"FullName": "Autotask Other"},
                        "COGSAccountRef": {"FullName": "Cost of Goods Sold"},
                        "AssetAccountRef": {"FullName": "Inventory Asset"},
                        "QuantityOnHand": "5",
                    }
                ],
                "standard_terms": [{"Name": "Net 30", "StdDueDays": "30"}],
                "sales_tax_code": [
                    {"Name": "Tax", "IsTaxable": "true"},
                    {"Name": "Non", "IsTaxable": "false"},
                ],
                "ship_method": [{"Name": "UPS Ground"}],
            },
        }
    )
    c.begin_session()
    return c


# -- the request processor's schema check ----------------------------------------------------------


@pytest.mark.parametrize(
    "bad, detail",
    [
        (
            customer_add("X", extra="").replace(
                "<Name>X</Name>", "<CompanyName>X Inc</CompanyName><Name>X</Name>"
            ),
            "out of order",
        ),
        (customer_add("X", extra="<Nickname>x</Nickname>"), "unknown element"),
        (customer_add("X" * 42), "maximum 41"),
        (
            "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Bright</FullName></CustomerRef>"
            "<TxnDate>11/02/2026</TxnDate></InvoiceAdd></InvoiceAddRq>",
            "DATETYPE",
        ),
        ("<FrobnicateRq/>", "unknown request"),
        ('<HostQueryRq iterator="Start"/>', "does not take the attribute iterator"),
        ('<CustomerQueryRq iterator="Continue"/>', "needs an iteratorID"),
    ],
)
def test_a_schema_violation_fails_the_whole_message_with_no_response(company, bad, detail):
    before = company.to_json()
    with pytest.raises(RequestProcessorError) as info:
        company.process(message(customer_add("Applied first?"), bad))
    assert info.value.hresult == "0x80040400"
    assert (
        info.value.message == "QuickBooks found an error when parsing the provided XML text stream."
    )
    assert detail in info.value.detail
    assert company.to_json() == before  # nothing ran, not even the valid first request


def test_elements_newer_than_the_message_version_are_refused(company):
    request = (
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Bright</FullName></CustomerRef>"
        "<IsToBeEmailed>true</IsToBeEmailed></InvoiceAdd></InvoiceAddRq>"
    )
    with pytest.raises(RequestProcessorError, match="needs qbXML 6"):
        company.process(message(request, version="5.0"))
    assert one(company, request).get("statusCode") == "0"


def test_missing_processing_instruction_and_unsupported_versions(company):
    with pytest.raises(RequestProcessorError, match="0x80040400"):
        company.process("<QBXML><QBXMLMsgsRq onError='stopOnError'/></QBXML>")
    with pytest.raises(RequestProcessorError, match="not supported"):
        company.process(message(customer_add("X"), version="99.0"))


# -- message sets --------------------------------------------------------------------------------


def test_request_ids_are_echoed_and_stop_on_error_stops(company):
    text = company.process(
        message(customer_add("Acme", "a"), customer_add("acme", "b"), customer_add("Other", "c"))
    )
    rs = responses(text)
    assert [r.get("requestID") for r in rs] == ["a", "b", "c"]
    assert [r.get("statusCode") for r in rs] == ["0", "3100", "3231"]
    assert rs[1].get("statusSeverity") == "Error"
    assert company.find(["customer"], "Acme") is not None  # done before the error: kept
    assert company.find(["customer"], "Other") is None


def test_continue_on_error_goes_on(company):
    rs = responses(
        company.process(
            message(
                customer_add("Acme", "a"),
                customer_add("ACME", "b"),
                customer_add("Other", "c"),
                on_error="continueOnError",
            )
        )
    )
    assert [r.get("statusCode") for r in rs] == ["0", "3100", "0"]
    assert company.find(["customer"], "Other") is not None


def test_customers_vendors_employees_and_other_names_share_one_name_list(company):
    vendor = '<VendorAddRq requestID="v"><VendorAdd><Name>bright</Name></VendorAdd></VendorAddRq>'
    rs = one(company, vendor)
    assert rs.get("statusCode") == "3100"
    assert rs.get("statusMessage") == 'The name "bright" of the list element is already in use.'
    assert one(company, customer_add("Dana Whitfield")).get("statusCode") == "3100"
    item = (
        "<ItemServiceAddRq><ItemServiceAdd><Name>Bright</Name></ItemServiceAdd></ItemServiceAddRq>"
    )
    assert one(company, item).get("statusCode") == "0"  # items are a list of their own


def test_message_set_recovery(company):
    first = company.process(message(customer_add("Once"), attrs=' newMessageSetID="set-1"'))
    count = len(company.lists["customer"])
    again = company.process(message(customer_add("Once"), attrs=' oldMessageSetID="set-1"'))
    assert again == first  # the stored answer; nothing ran twice
    assert len(company.lists["customer"]) == count
    fresh = company.process(
        message(
            customer_add("Never sent"), attrs=' oldMessageSetID="set-2" newMessageSetID="set-2"'
        )
    )
    assert (
        etree.fromstring(fresh.encode()).find("QBXMLMsgsRs").get("messageSetStatusCode") == "9001"
    )
    assert company.find(["customer"], "Never sent") is not None
    company.process(message(customer_add("X"), attrs=' oldMessageSetID="ClearAllMessageSets"'))
    assert company.message_sets == {}


def test_response_data_include_none(company):
    rs = one(company, customer_add("Quiet"), attrs=' responseData="includeNone"')
    assert rs.get("statusCode") == "0" and len(rs) == 0


# -- lists, queries and iterators ------------------------------------------------------------


def test_jobs_and_sub_items_get_colon_full_names(company):
    rs = one(
        company,
        customer_add("Downtown Clinic", extra="<ParentRef><FullName>Bright</FullName></ParentRef>"),
    )
    ret = rs.find("CustomerRet")
    assert ret.findtext("FullName") == "Bright:Downtown Clinic"
    assert ret.findtext("Sublevel") == "1"
    bad = one(
        company, customer_add("Orphan", extra="<ParentRef><FullName>Nobody</FullName></ParentRef>")
    )
    assert bad.get("statusCode") == "3140"


def test_ids_and_edit_sequences_look_like_quickbooks_and_repeat_for_a_seed():
    def build() -> dict:
        c = Company(seed=42)
        c.begin_session()
        c.process(message(customer_add("A"), customer_add("B")))
        return c.to_json()

    first, second = build(), build()
    assert first == second
    record = first["lists"]["customer"][0]
    assert len(record["ListID"].split("-")[0]) == 8 and record["ListID"].split("-")[1].isdigit()
    assert record["EditSequence"].isdigit()
    assert record["TimeModified"].endswith("-08:00")


def test_query_filters(company):
    for i in range(5):
        company.process(message(customer_add(f"Zed {i}")))
    company.clock.advance(hours=1)
    watermark = company.clock.stamp()
    company.process(message(customer_add("Late one")))
    company.process(
        message(
            "<CustomerAddRq><CustomerAdd><Name>Gone quiet</Name><IsActive>false"
            "</IsActive></CustomerAdd></CustomerAddRq>"
        )
    )

    def names(query: str) -> list[str]:
        return [r.findtext("FullName") for r in one(company, query).iter("CustomerRet")]

    assert names(
        f"<CustomerQueryRq><FromModifiedDate>{watermark}</FromModifiedDate></CustomerQueryRq>"
    ) == ["Late one"]
    assert names(
        f"<CustomerQueryRq><ActiveStatus>All</ActiveStatus><FromModifiedDate>"
        f"{watermark}</FromModifiedDate></CustomerQueryRq>"
    ) == ["Gone quiet", "Late one"]
    assert names(
        "<CustomerQueryRq><ActiveStatus>InactiveOnly</ActiveStatus></CustomerQueryRq>"
    ) == ["Gone quiet"]
    assert names(
        "<CustomerQueryRq><MaxReturned>2</MaxReturned><NameFilter><MatchCriterion>"
        "StartsWith</MatchCriterion><Name>zed</Name></NameFilter></CustomerQueryRq>"
    ) == ["Zed 0", "Zed 1"]
    partial = one(
        company,
        "<CustomerQueryRq><FullName>Bright</FullName><FullName>Nobody</FullName></CustomerQueryRq>",
    )
    assert partial.get("statusCode") == "500" and partial.get("statusSeverity") == "Warn"
    assert [r.findtext("Name") for r in partial] == ["Bright"]
    empty = one(
        company,
        "<CustomerQueryRq><NameFilter><MatchCriterion>Contains</MatchCriterion>"
        "<Name>qqq</Name></NameFilter></CustomerQueryRq>",
    )
    assert empty.get("statusCode") == "1" and empty.get("statusSeverity") == "Info"
    trimmed = one(
        company,
        "<CustomerQueryRq><FullName>Bright</FullName>"
        "<IncludeRetElement>ListID</IncludeRetElement>"
        "<IncludeRetElement>Name</IncludeRetElement></CustomerQueryRq>",
    )
    assert [c.tag for c in trimmed.find("CustomerRet")] == ["ListID", "Name"]


def page(company: Company, request: str) -> etree._Element:
    return one(company, request)


def test_iterators_page_across_messages_and_die_with_the_session(company):
    company.seed_bulk(customers=1200)
    start = page(
        company,
        '<CustomerQueryRq requestID="p1" iterator="Start"><MaxReturned>500'
        "</MaxReturned></CustomerQueryRq>",
    )
    iterator_id = start.get("iteratorID")
    seen = [r.findtext("ListID") for r in start]
    remaining = [start.get("iteratorRemainingCount")]
    while remaining[-1] != "0":
        rs = page(
            company,
            f'<CustomerQueryRq requestID="p" iterator="Continue" '
            f'iteratorID="{iterator_id}"><MaxReturned>500</MaxReturned>'
            "</CustomerQueryRq>",
        )
        seen += [r.findtext("ListID") for r in rs]
        remaining.append(rs.get("iteratorRemainingCount"))
    assert remaining == ["701", "201", "0"]
    assert len(seen) == len(set(seen)) == 1201
    again = page(
        company,
        f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}"></CustomerQueryRq>',
    )
    assert again.get("statusCode") == "3391"
    other = page(
        company, '<CustomerQueryRq iterator="Start"><MaxReturned>10</MaxReturned></CustomerQueryRq>'
    )
    company.end_session()
    company.begin_session()
    stale = page(
        company,
        f'<CustomerQueryRq iterator="Continue" iteratorID='
        f'"{other.get("iteratorID")}"></CustomerQueryRq>',
    )
    assert stale.get("statusCode") == "3391"
    assert "is not valid" in stale.get("statusMessage")


def test_quickbooks_pro_list_limits_can_be_seeded_paged_and_windowed():
    company = Company("Big Books")
    company.seed_bulk(customers=14_500, accounts=10_000)
    company.begin_session()
    rs = page(
        company,
        '<CustomerQueryRq iterator="Start"><MaxReturned>1000</MaxReturned></CustomerQueryRq>',
    )
    ids = {r.findtext("ListID") for r in rs.iter("CustomerRet")}
    while rs.get("iteratorRemainingCount") != "0":
        rs = page(
            company,
            f'<CustomerQueryRq iterator="Continue" iteratorID="{rs.get("iteratorID")}">'
            "<MaxReturned>1000</MaxReturned></CustomerQueryRq>",
        )
        ids |= {r.findtext("ListID") for r in rs.iter("CustomerRet")}
    assert len(ids) == 14_500
    # AccountQuery takes no iterator: windows of names, both ends inclusive, cover the list.
    low = one(
        company,
        "<AccountQueryRq><MaxReturned>20000</MaxReturned><NameRangeFilter>"
        "<ToName>Account 04999</ToName></NameRangeFilter></AccountQueryRq>",
    )
    high = one(
        company,
        "<AccountQueryRq><MaxReturned>20000</MaxReturned><NameRangeFilter>"
        "<FromName>account 04999</FromName></NameRangeFilter></AccountQueryRq>",
    )
    assert len(low) == 5_000 and len(high) == 5_001
    assert len({r.findtext("ListID") for r in [*low, *high]}) == 10_000


def test_item_query_returns_every_item_type(company):
    rs = one(company, "<ItemQueryRq></ItemQueryRq>")
    assert sorted(r.tag for r in rs) == ["ItemInventoryRet", "ItemServiceRet"]
    terms = one(company, "<TermsQueryRq/>")
    assert [r.findtext("Name") for r in terms] == ["Net 30"]


# -- writes ----------------------------------------------------------------------------------


def invoice(customer: str = "Bright", item: str = "Remote Support", rid: str = "inv") -> str:
    return (
        f'<InvoiceAddRq requestID="{rid}"><InvoiceAdd><CustomerRef><FullName>{customer}'
        "</FullName></CustomerRef><TxnDate>2026-11-02</TxnDate>"
        f"<InvoiceLineAdd><ItemRef><FullName>{item}</FullName></ItemRef><Quantity>1.5"
        "</Quantity><Rate>150.00</Rate><ClassRef><FullName>Helpdesk</FullName></ClassRef>"
        "</InvoiceLineAdd><InvoiceLineAdd><ItemRef><FullName>Laptop</FullName></ItemRef>"
        "<Quantity>1</Quantity><Rate>1249.00</Rate></InvoiceLineAdd></InvoiceAdd>"
        "</InvoiceAddRq>"
    )


def test_invoices_reference_existing_records_and_pay_through_receive_payments(company):
    bad = one(company, invoice(item="No Such Item"))
    assert bad.get("statusCode") == "3140"
    assert 'QuickBooks Item "No Such Item"' in bad.get("statusMessage")
    ret = one(company, invoice()).find("InvoiceRet")
    assert ret.findtext("RefNumber") == "1"
    assert ret.findtext("Subtotal") == "1474.00"
    assert [line.findtext("Amount") for line in ret.iter("InvoiceLineRet")] == ["225.00", "1249.00"]
    assert company.find(["item_inventory"], "Laptop")["QuantityOnHand"] == "4"
    txn_id = ret.findtext("TxnID")
    company.receive_payment(txn_id, "474.00", "2026-11-20", "chk 1")
    company.receive_payment(txn_id, "1000.00", "2026-11-25", "chk 2")
    rs = one(
        company,
        f"<InvoiceQueryRq><TxnID>{txn_id}</TxnID><IncludeLinkedTxns>true"
        "</IncludeLinkedTxns></InvoiceQueryRq>",
    )
    found = rs.find("InvoiceRet")
    assert found.findtext("IsPaid") == "true"
    assert [t.findtext("TxnDate") for t in found.iter("LinkedTxn")] == ["2026-11-20", "2026-11-25"]
    assert found.find("InvoiceLineRet") is None  # lines only with IncludeLineItems
    unpaid = one(company, "<InvoiceQueryRq><PaidStatus>NotPaidOnly</PaidStatus></InvoiceQueryRq>")
    assert unpaid.get("statusCode") == "1"


def test_bills_time_and_purchase_orders(company):
    bill = one(
        company,
        "<BillAddRq><BillAdd><VendorRef><FullName>Ingram Micro</FullName>"
        "</VendorRef><RefNumber>EXR-77</RefNumber><ExpenseLineAdd><AccountRef>"
        "<FullName>Travel</FullName></AccountRef><Amount>58.29</Amount>"
        "</ExpenseLineAdd></BillAdd></BillAddRq>",
    )
    assert bill.find("BillRet").findtext("AmountDue") == "58.29"
    time_rs = one(
        company,
        "<TimeTrackingAddRq><TimeTrackingAdd><TxnDate>2026-11-02</TxnDate>"
        "<EntityRef><FullName>Dana Whitfield</FullName></EntityRef>"
        "<Duration>PT6H30M</Duration><PayrollItemWageRef><FullName>Regular "
        "Pay</FullName></PayrollItemWageRef></TimeTrackingAdd>"
        "</TimeTrackingAddRq>",
    )
    assert time_rs.get("statusCode") == "0"
    po = one(
        company,
        "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Ingram Micro"
        "</FullName></VendorRef><PurchaseOrderLineAdd><ItemRef><FullName>Laptop"
        "</FullName></ItemRef><Quantity>2</Quantity><Rate>910.00</Rate>"
        "</PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>",
    )
    ret = po.find("PurchaseOrderRet")
    txn_id, sequence = ret.findtext("TxnID"), ret.findtext("EditSequence")
    line_id = ret.find("PurchaseOrderLineRet").findtext("TxnLineID")
    stale = one(
        company,
        f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{txn_id}</TxnID>"
        f"<EditSequence>1</EditSequence><Memo>x</Memo></PurchaseOrderMod>"
        "</PurchaseOrderModRq>",
    )
    assert stale.get("statusCode") == "3200"
    modded = one(
        company,
        f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{txn_id}</TxnID>"
        f"<EditSequence>{sequence}</EditSequence><PurchaseOrderLineMod>"
        f"<TxnLineID>{line_id}</TxnLineID><Quantity>3</Quantity>"
        "</PurchaseOrderLineMod></PurchaseOrderMod></PurchaseOrderModRq>",
    )
    assert modded.find("PurchaseOrderRet").findtext("TotalAmount") == "2730.00"
    receipt = one(
        company,
        "<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Ingram Micro"
        "</FullName></VendorRef><ItemLineAdd><ItemRef><FullName>Laptop</FullName></ItemRef>"
        f"<Quantity>2</Quantity><LinkToTxn><TxnID>{txn_id}</TxnID><TxnLineID>{line_id}"
        "</TxnLineID></LinkToTxn></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>",
    )
    assert receipt.get("statusCode") == "0", receipt.get("statusMessage")
    assert company.find(["item_inventory"], "Laptop")["QuantityOnHand"] == "7"
    po_line = company.txns["PurchaseOrder"][txn_id]["PurchaseOrderLineRet"][0]
    assert po_line["ReceivedQuantity"] == "2"
    # Linking the whole order receives what is left of every line.
    rest = one(
        company,
        "<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Ingram Micro"
        f"</FullName></VendorRef><LinkToTxnID>{txn_id}</LinkToTxnID></ItemReceiptAdd>"
        "</ItemReceiptAddRq>",
    )
    assert rest.get("statusCode") == "0", rest.get("statusMessage")
    assert po_line["ReceivedQuantity"] == "3"
    assert company.find(["item_inventory"], "Laptop")["QuantityOnHand"] == "8"


def test_list_adds_and_inventory_mods(company):
    for request in (
        "<AccountAddRq><AccountAdd><Name>Autotask Income from PO</Name><AccountType>Income"
        "</AccountType></AccountAdd></AccountAddRq>",
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Cable</Name></ItemNonInventoryAdd>"
        "</ItemNonInventoryAddRq>",
        "<ItemOtherChargeAddRq><ItemOtherChargeAdd><Name>Autotask Sales Tax</Name>"
        "</ItemOtherChargeAdd></ItemOtherChargeAddRq>",
        "<VendorAddRq><VendorAdd><Name>v-Ortega, Luis</Name></VendorAdd></VendorAddRq>",
    ):
        assert one(company, request).get("statusCode") == "0"
    missing = one(
        company,
        "<ItemInventoryAddRq><ItemInventoryAdd><Name>Switch</Name>"
        "</ItemInventoryAdd></ItemInventoryAddRq>",
    )
    assert missing.get("statusCode") == "3140"
    laptop = dict(company.find(["item_inventory"], "Laptop"))
    ok = one(
        company,
        f"<ItemInventoryModRq><ItemInventoryMod><ListID>{laptop['ListID']}</ListID>"
        f"<EditSequence>{laptop['EditSequence']}</EditSequence><Name>Laptop 14"
        "</Name></ItemInventoryMod></ItemInventoryModRq>",
    )
    assert ok.find("ItemInventoryRet").findtext("FullName") == "Laptop 14"
    assert (
        one(
            company,
            f"<ItemInventoryModRq><ItemInventoryMod><ListID>{laptop['ListID']}"
            f"</ListID><EditSequence>{laptop['EditSequence']}</EditSequence>"
            "</ItemInventoryMod></ItemInventoryModRq>",
        ).get("statusCode")
        == "3200"
    )


def test_inventory_adjustments_need_single_user_mode(company):
    request = (
        "<InventoryAdjustmentAddRq><InventoryAdjustmentAdd><AccountRef><FullName>"
        "Inventory Adjustment</FullName></AccountRef><InventoryAdjustmentLineAdd><ItemRef>"
        "<FullName>Laptop</FullName></ItemRef><QuantityAdjustment><NewQuantity>6"
        "</NewQuantity></QuantityAdjustment></InventoryAdjustmentLineAdd>"
        "</InventoryAdjustmentAdd></InventoryAdjustmentAddRq>"
    )
    company.file_mode = "MultiUser"
    rs = one(company, request)
    assert rs.get("statusCode") == "3180" and "single-user" in rs.get("statusMessage")
    assert company.find(["item_inventory"], "Laptop")["QuantityOnHand"] == "5"
    company.file_mode = "SingleUser"
    assert one(company, request).get("statusCode") == "0"
    assert company.find(["item_inventory"], "Laptop")["QuantityOnHand"] == "6"


@pytest.mark.parametrize("code", [3170, 3175, 3176, 3180])
def test_lock_errors_can_be_injected(company, code):
    company.inject_status("CustomerAddRq", code)
    rs = one(company, customer_add("Locked out"))
    assert rs.get("statusCode") == str(code) and rs.get("statusSeverity") == "Error"
    assert company.find(["customer"], "Locked out") is None
    assert one(company, customer_add("Locked out")).get("statusCode") == "0"


def test_deletions_are_reported_by_deleted_queries(company):
    txn_id = one(company, invoice()).find("InvoiceRet").findtext("TxnID")
    company.delete_list_record("class", "Helpdesk")
    company.delete_txn(txn_id)
    lists = one(
        company,
        "<ListDeletedQueryRq><ListDelType>Class</ListDelType>"
        "<ListDelType>Customer</ListDelType></ListDeletedQueryRq>",
    )
    assert [r.findtext("FullName") for r in lists] == ["Helpdesk"]
    assert lists[0].findtext("ListDelType") == "Class"
    txns = one(company, "<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>")
    assert [r.findtext("TxnID") for r in txns] == [txn_id]
    none = one(
        company, "<ListDeletedQueryRq><ListDelType>Vendor</ListDelType></ListDeletedQueryRq>"
    )
    assert none.get("statusCode") == "1"


def test_host_company_and_preferences_for_the_first_send_request(company):
    company.write_file_id(
        "{57F3B9B1-86F1-4FCC-B1EE-566DE1813D20}", "{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}"
    )
    company.file_mode = "MultiUser"
    root = etree.fromstring(company.hcp_response().encode())
    rs = root.find("QBXMLMsgsRs")
    assert [r.get("requestID") for r in rs] == ["0", "1", "2"]
    host = rs.find("HostQueryRs/HostRet")
    assert host.findtext("Country") == "US" and host.findtext("QBFileMode") == "MultiUser"
    assert "13.0" in [v.text for v in host.iter("SupportedQBXMLVersion")]
    company_ret = rs.find("CompanyQueryRs/CompanyRet")
    assert company_ret.findtext("CompanyName") == "Acme Books"
    ext = [e for e in company_ret.iter("DataExtRet") if e.findtext("DataExtName") == "FileID"]
    assert ext[0].findtext("DataExtValue") == "{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}"
    assert rs.find("PreferencesQueryRs/PreferencesRet") is not None


def test_companies_round_trip_through_json(company, tmp_path):
    one(company, invoice())
    path = tmp_path / "company.json"
    company.save(path)
    again = Company.load(path)
    assert again.to_json() == company.to_json()
    assert (
        again.find(["customer"], "bright")["ListID"]
        == company.find(["customer"], "Bright")["ListID"]
    )
