"""The QuickBooks Web Connector conversation: authentication codes, the session state machine
and the commands behind each SOAP method."""
