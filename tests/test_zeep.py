"""A real SOAP client, built by zeep from the WSDL the server publishes (Intuit's, with our
address), completes a whole session against `qbtransfer serve`."""

from __future__ import annotations

from pathlib import Path

import zeep
from zeep.transports import Transport

from engine.application import TransferEngine
from tests.helpers import API_PASSWORD, free_port, register_connector, serving
from tests.qbsim import Company


def test_zeep_completes_a_session_against_qbtransfer_serve(settings, tmp_path: Path):
    port = free_port()
    public = f"http://localhost:{port}"
    engine = TransferEngine(env=settings.eventstore_env())
    try:
        reg = register_connector(engine, public_url=public)
    finally:
        engine.close()
    with serving(tmp_path, port, {"DATABASE_URL": settings.database_url, "PUBLIC_URL": public}):
        client = zeep.Client(
            f"http://127.0.0.1:{port}{reg.path}?wsdl", transport=Transport(timeout=30)
        )
        service = client.create_service(
            "{http://developer.intuit.com/}QBWebConnectorSvcSoap",
            f"http://127.0.0.1:{port}{reg.path}",
        )
        assert service.serverVersion().startswith("qbtransfer")
        assert not service.clientVersion(strVersion="2.3.0.215")
        answer = list(service.authenticate(strUserName="qbwc-api", strPassword=API_PASSWORD))
        assert answer[1] in ("", None) and answer[3] == "900"
        ticket = answer[0]
        company = Company("Zeep Books")
        company.seed_bulk(customers=20, accounts=10)
        company.write_file_id(reg.owner_id, reg.file_id)
        company.begin_session()
        hcp, progress = company.hcp_response(), 0
        while progress < 100:
            request = service.sendRequestXML(
                ticket=ticket,
                strHCPResponse=hcp,
                strCompanyFileName=company.path,
                qbXMLCountry="US",
                qbXMLMajorVers=13,
                qbXMLMinorVers=0,
            )
            assert request, service.getLastError(ticket=ticket)
            hcp = ""
            progress = service.receiveResponseXML(
                ticket=ticket, response=company.process(request), hresult="", message=""
            )
            assert 0 <= progress <= 100
        assert service.closeConnection(ticket=ticket).startswith("Sync completed")
