"""qbXML: the request schema data, the builder that follows it, and the response parser."""

from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("request-schema.json")
ATTRIBUTES_PATH = Path(__file__).with_name("request-attributes.json")
