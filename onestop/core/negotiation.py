"""REST framework's content negotiation, with the two Accept headers API clients send answered directly.

The default parses the Accept header on every call, through ``request.headers`` (a dictionary of every header
built for it). ``application/json`` and ``*/*`` (or no Accept header) pick the first renderer, the JSON one,
exactly as the default would; anything else (a browser's list, ``?format=``) goes the default way.
"""
from rest_framework.negotiation import DefaultContentNegotiation

_PLAIN = {"application/json", "*/*"}


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if (accept in _PLAIN and renderers and renderers[0].media_type == "application/json"
                and format_suffix is None and not request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)):
            return renderers[0], "application/json"
        return super().select_renderer(request, renderers, format_suffix)
