"""API tokens: created (shown once), listed, revoked, and checked on every API call."""

from __future__ import annotations

import contextlib
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from engine import passwords
from engine.aggregates import ApiToken
from engine.aggregates.token import token_id
from engine.commanding import command
from engine.core import Needs
from engine.errors import Conflict, NotFound
from engine.ids import match_id
from engine.text import excerpt


class TokenCommands(Needs):
    """The API-token commands of the TransferEngine."""

    save: Any
    _account: Any

    def _tokens(self) -> list[ApiToken]:
        return [self.repository.get(tid) for tid in self._account().token_ids]

    @command
    def create_token(self, name: str) -> dict[str, Any]:
        """A new admin API token; the token text is returned here once and never again. Two
        tokens (revoked ones included) never share a name, so a name always means one token."""
        now = self.clock()
        account = self._account()
        token = passwords.new_token()
        api_token = ApiToken.issue(name, passwords.token_digest(token), now)
        taken = next(
            (t for t in self._tokens() if t.name.casefold() == api_token.name.casefold()), None
        )
        if taken is not None:
            raise Conflict(f"a token named {taken.name!r} already exists (id {taken.id})")
        account.register_token(api_token.id)
        self.save(account, api_token)
        return {**token_view(api_token), "token": token}

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token, newest first; never the token text (only its digest is stored)."""
        tokens = sorted(self._tokens(), key=lambda t: t.created_at, reverse=True)
        return [token_view(t) for t in tokens]

    @command
    def revoke_token(self, ref: str) -> dict[str, Any]:
        """Stop the token named or numbered `ref` from working."""
        api_token = self._token(ref)
        api_token.revoke(self.clock())
        self.save(api_token)
        return token_view(api_token)

    def _token(self, ref: str) -> ApiToken:
        tokens = self._tokens()
        for api_token in tokens:
            if api_token.name.casefold() == ref.strip().casefold():
                return api_token
        found = match_id(ref, [str(t.id) for t in tokens], "API token")
        for api_token in tokens:
            if str(api_token.id) == found:
                return api_token
        raise NotFound(f"no API token {excerpt(ref)} (give its id or its name)")

    def authenticate_token(self, token: str) -> str | None:
        """The name of the live token `token`, or None; notes when it was last used."""
        digest = passwords.token_digest(token)
        try:
            api_token: ApiToken = self.repository.get(token_id(digest))
        except AggregateNotFoundError:
            return None
        if api_token.revoked_at is not None or not passwords.same_digest(api_token.digest, digest):
            return None
        if api_token.note_use(self.clock()):
            # A concurrent call of the same token may have recorded its use first.
            with contextlib.suppress(IntegrityError):
                self.save(api_token)
        return api_token.name


def token_view(api_token: ApiToken) -> dict[str, Any]:
    """A token as the outside sees it: never its text, nor its digest."""
    last_used = getattr(api_token, "last_used_at", None)
    return {
        "id": str(api_token.id),
        "name": api_token.name,
        "created_at": api_token.created_at.isoformat(),
        "last_used_at": last_used.isoformat() if last_used else None,
        "revoked_at": api_token.revoked_at.isoformat() if api_token.revoked_at else None,
    }
