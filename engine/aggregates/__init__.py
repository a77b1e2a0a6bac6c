"""The engine's aggregates: each one's methods are the domain's verbs, each change an event."""

from engine.aggregates.account import Account
from engine.aggregates.connector import WebConnector
from engine.aggregates.registration import Registration
from engine.aggregates.token import ApiToken
from engine.aggregates.user import User

__all__ = ["Account", "ApiToken", "Registration", "User", "WebConnector"]
