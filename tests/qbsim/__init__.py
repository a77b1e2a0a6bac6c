"""Stand-ins for QuickBooks Desktop and the QuickBooks Web Connector, for tests and for people
who want to watch a whole sync without Windows (see the README's testing section)."""

from tests.qbsim.company import Company, RequestProcessorError

__all__ = ["Company", "RequestProcessorError"]
