"""The QuickBooks Web Connector's side of the house: Intuit's WSDL (and, with the endpoint
issue, the SOAP blueprint that serves it)."""

from pathlib import Path

WSDL_PATH = Path(__file__).with_name("QBWebConnectorSvc.wsdl")
TNS = "http://developer.intuit.com/"
