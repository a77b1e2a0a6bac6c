"""The parser reads what real QuickBooks sends, not what our simulator happens to write.

The answers below follow the captures described in `../shared/docs/exactly-once.md` (and QBWC
logs in public issue trackers): `<?xml version="1.0" ?>` with a space, one element per line
and no indentation, self-closing error responses with only status attributes, no requestID
when the request had none, severity "Info" on status 3210, 10-digit EditSequences and times
with the workstation's local offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.qbxml import status
from engine.qbxml.parser import list_record, parse_hcp, parse_response
from engine.steps import pipeline
from tests.helpers import StepDriver

CUSTOMERS = """<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs>
<CustomerQueryRs requestID="241" statusCode="0" statusSeverity="Info" statusMessage="Status OK" iteratorRemainingCount="0" iteratorID="{84ff5521-205d-46b6-9d44-7b6b9acb7165}">
<CustomerRet>
<ListID>80000003-1446676743</ListID>
<TimeCreated>2015-11-04T14:39:03-08:00</TimeCreated>
<TimeModified>2015-11-04T14:39:03-08:00</TimeModified>
<EditSequence>1446676743</EditSequence>
<Name>abcde</Name>
<FullName>abcde</FullName>
<IsActive>true</IsActive>
<Sublevel>0</Sublevel>
</CustomerRet>
<CustomerRet>
<ListID>80000001-1446673838</ListID>
<TimeCreated>2015-11-04T13:50:38-08:00</TimeCreated>
<TimeModified>2015-11-04T23:39:10+01:00</TimeModified>
<EditSequence>1446676750</EditSequence>
<Name>Test Cust</Name>
<FullName>Test Cust</FullName>
<IsActive>false</IsActive>
<Sublevel>0</Sublevel>
<Email>ap@test.example</Email>
</CustomerRet>
</CustomerQueryRs>
</QBXMLMsgsRs>
</QBXML>
"""  # noqa: E501 - one element per line, as QuickBooks writes it

ERRORS = """<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs>
<InvoiceAddRs requestID="7.invoice" statusCode="3140" statusSeverity="Error" statusMessage="There is an invalid reference to QuickBooks Customer &quot;Bright&quot; in the Invoice." />
<CustomerModRs statusCode="3210" statusSeverity="Info" statusMessage="The &quot;ListID&quot; field has an invalid value &quot;&quot;.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list." />
<AccountQueryRs statusCode="1" statusSeverity="Info" statusMessage="A query request did not find a matching object in QuickBooks" />
</QBXMLMsgsRs>
</QBXML>
"""  # noqa: E501


def test_a_real_list_answer_parses_by_structure_not_layout():
    [rs] = parse_response(CUSTOMERS).responses
    assert rs.request_id == "241" and rs.status.code == 0
    assert rs.iterator_remaining == 0 and rs.iterator_id.startswith("{84ff")
    first, second = (list_record(ret) for ret in rs.rets)
    assert first["edit_sequence"] == "1446676743"  # a 10-digit Unix time, kept as text
    assert first["full_name"] == "abcde" and first["is_active"] is True
    assert second["is_active"] is False and second["details"] == {"Email": "ap@test.example"}


def test_self_closing_error_answers_and_answers_without_a_request_id():
    invoice, customer, account = parse_response(ERRORS).responses
    assert invoice.request_id == "7.invoice" and invoice.rets == []
    assert invoice.status.decision == status.FAILED and '"Bright"' in invoice.status.message
    assert customer.request_id is None and account.request_id is None
    # 3210 comes with severity Info although nothing was done: the code decides, not severity.
    assert customer.status.severity == "Info"
    assert customer.status.is_error and customer.status.decision == status.FAILED
    assert account.status.decision == status.NO_MATCH


def test_local_offsets_are_compared_as_moments_for_the_watermark():
    lists = QuickBooksLists(uuid4())
    records = [list_record(ret) for ret in parse_response(CUSTOMERS).responses[0].rets]
    lists.record_page("customers", records, datetime.now(UTC))
    # 23:39:10+01:00 is 14:39:10-08:00: seven seconds after the other record, not nine hours.
    assert lists.watermarks["customers"] == "2015-11-04T23:39:10+01:00"
    assert lists.from_modified("customers") == "2015-11-04T22:39:10+01:00"


def test_a_list_step_reads_a_real_answer_and_an_answer_without_request_ids():
    lists = QuickBooksLists(uuid4())
    driver = StepDriver(["customers"], lists)
    driver.send()
    after = driver.answer(CUSTOMERS)
    assert after.finished == {0} and after.recorded == {"customers": 2}
    errors = parse_response(ERRORS)
    errors.responses[:] = errors.responses[2:]  # the AccountQueryRs alone: nothing found
    driver = StepDriver(["accounts"], lists)
    driver.send()
    after = pipeline.absorb(driver.steps, driver.work, driver.request_ids, errors, driver.context)
    assert after.finished == {0} and after.problems == ()


def test_hcp_data_extensions_match_whatever_the_letter_case():
    owner = "{8a8ee7d0-1c1b-4d4e-9f3e-0b6d2c1c5a11}"
    hcp = f"""<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs>
<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<HostRet>
<ProductName>QuickBooks Pro 2024</ProductName>
<MajorVersion>34</MajorVersion>
<MinorVersion>0</MinorVersion>
<Country>US</Country>
<SupportedQBXMLVersion>12.0</SupportedQBXMLVersion>
<SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>
<IsAutomaticLogin>false</IsAutomaticLogin>
<QBFileMode>SingleUser</QBFileMode>
</HostRet>
</HostQueryRs>
<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<CompanyRet>
<CompanyName>Acme</CompanyName>
<DataExtRet>
<OwnerID>{owner}</OwnerID>
<DataExtName>AppLock</DataExtName>
<DataExtType>STR255TYPE</DataExtType>
<DataExtValue>LOCKED:WS-01:638688512000000000</DataExtValue>
</DataExtRet>
<DataExtRet>
<OwnerID>{owner}</OwnerID>
<DataExtName>FileID</DataExtName>
<DataExtType>STR255TYPE</DataExtType>
<DataExtValue>{{5e0a3b9e-7c47-4c8e-b7b0-5f1f6a1f9c2d}}</DataExtValue>
</DataExtRet>
</CompanyRet>
</CompanyQueryRs>
</QBXMLMsgsRs>
</QBXML>
"""
    info = parse_hcp(hcp)
    assert info.qbxml_versions == ["12.0", "13.0"]
    assert info.data_ext_value(owner.upper(), "FileID") == "{5e0a3b9e-7c47-4c8e-b7b0-5f1f6a1f9c2d}"
    assert info.data_ext_value(owner, "AppLock").startswith("LOCKED:WS-01:")
