"""The signed session cookie, the sign-in form's token, and the checks on every form.

The cookie carries the API key's id, its account and the session's CSRF token, signed and
timestamped with itsdangerous; never the secret key. The key is looked up again on every
request, so revoking it ends the session at once.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any, TypeGuard

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "mteja_session"
SIGN_IN_COOKIE = "mteja_sign_in"
LANGUAGE_COOKIE = "mteja_lang"
COOKIE_PATH = "/dashboard"
SESSION_MAX_AGE = 12 * 3600
# Long enough to read the form and find the key, short enough not to linger.
SIGN_IN_MAX_AGE = 3600


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    account_id: str
    csrf_token: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._sessions = URLSafeTimedSerializer(secret, salt="mteja.dashboard.session")
        self._sign_in = URLSafeTimedSerializer(secret, salt="mteja.dashboard.sign-in")

    def session_cookie(self, session: Session) -> str:
        payload = {"k": session.key_id, "a": session.account_id, "c": session.csrf_token}
        return self._sessions.dumps(payload)

    def session_of(self, cookie: str | None) -> Session | None:
        payload = _loads(self._sessions, cookie, SESSION_MAX_AGE)
        if not isinstance(payload, dict):
            return None
        key_id, account_id, csrf_token = (payload.get(name) for name in ("k", "a", "c"))
        if not (_text(key_id) and _text(account_id) and _text(csrf_token)):
            return None
        return Session(key_id=key_id, account_id=account_id, csrf_token=csrf_token)

    def sign_in_cookie(self, token: str) -> str:
        return self._sign_in.dumps(token)

    def sign_in_token_of(self, cookie: str | None) -> str | None:
        token = _loads(self._sign_in, cookie, SIGN_IN_MAX_AGE)
        return token if isinstance(token, str) else None


def _loads(serializer: URLSafeTimedSerializer, cookie: str | None, max_age: int) -> Any:
    if not cookie:
        return None
    try:
        return serializer.loads(cookie, max_age=max_age)
    except BadSignature:  # also SignatureExpired, a subclass
        return None


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)


def tokens_match(expected: str | None, sent: str | None) -> bool:
    if not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def same_origin(origin: str | None, *, scheme: str, host: str | None) -> bool:
    """A browser names the page that sent a form in ``Origin``: it must be this site.
    No header at all is allowed (older browsers omit it on same-origin posts); the token
    still has to match."""
    if origin is None:
        return True
    return host is not None and origin == f"{scheme}://{host}"
