"""The session cookie, the sign-in form's token, and the checks on every form.

The session cookie holds a random token of a session kept on the server
(``accounts/sessions.py``): never the secret key, and nothing that outlives a sign-out.
The sign-in form's token, which exists before any session, is signed and timestamped
with itsdangerous.
"""

from __future__ import annotations

import hmac
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from mteja.accounts.sessions import SESSION_LIFETIME, Session, new_token

__all__ = ["Session", "SessionSigner", "new_token"]

SESSION_COOKIE = "mteja_session"
SIGN_IN_COOKIE = "mteja_sign_in"
LANGUAGE_COOKIE = "mteja_lang"
COOKIE_PATH = "/dashboard"
SESSION_MAX_AGE = int(SESSION_LIFETIME.total_seconds())
# Long enough to read the form and find the key, short enough not to linger.
SIGN_IN_MAX_AGE = 3600


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._sign_in = URLSafeTimedSerializer(secret, salt="mteja.dashboard.sign-in")

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
