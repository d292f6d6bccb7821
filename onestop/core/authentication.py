"""Token authentication of the API with the token's lookup kept per process.

REST framework reads the token and its user (one query) on every request; a client working through its
queue sends the same token again and again. The lookup is kept in ``refcache`` (``api-tokens``): emptied
in this process when a token or a user is saved or deleted, and expiring in the others
(``settings.ONESTOP_REFCACHE_SECONDS``), so a token deleted or a user deactivated by an admin stops working
everywhere within that time. A key that finds no active user is never kept (guessed keys cost a query each, as before).
"""
from django.contrib.auth import get_user_model
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from . import refcache

MAX_TOKENS = 10_000  # kept per process; past that the cache starts afresh


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        tokens = refcache.cache("api-tokens")
        if len(tokens) > MAX_TOKENS:
            tokens.clear()
        names, values, token = tokens.get(key, lambda: self._load(key))
        # A new user object per request: what a request caches on it (its citizen, permissions) stays there.
        user = get_user_model().from_db("default", names, values)
        return user, token

    def _load(self, key):
        user, token = super().authenticate_credentials(key)  # raises for an unknown key or an inactive user
        names = [f.attname for f in user._meta.concrete_fields]
        return names, [getattr(user, name) for name in names], token


refcache.invalidate_on(Token, "api-tokens")
refcache.invalidate_on(get_user_model(), "api-tokens")
