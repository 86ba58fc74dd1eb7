"""Cache-Control for pages that belong to one person: the desk, and the customer's pages."""

from django.conf import settings
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """`Cache-Control: private, no-store` on every response under settings.NO_STORE_URL_PREFIXES.

    A customer's status page is reached by a secret address, and desk pages show customers' data: no shared
    cache may keep them, nor the browser's disk once the tab is closed. A response that already says how it
    is cached (a photo's `private, max-age`) keeps its own rule, made private.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.NO_STORE_URL_PREFIXES)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(self.prefixes):
            if response.has_header("Cache-Control"):
                patch_cache_control(response, private=True)
            else:
                response["Cache-Control"] = "private, no-store"
        return response
