"""Response headers for the browser: what the page may use (Permissions-Policy) and that no
page or API answer is kept in a cache (they carry patients' names; desks are shared PCs). Static
files are served before this middleware (config.static) and keep their long cache lifetime. The
Content-Security-Policy itself comes from django-csp (config.settings)."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in ("accelerometer", "bluetooth", "camera", "display-capture", "geolocation", "gyroscope", "hid",
                    "magnetometer", "microphone", "midi", "payment", "serial", "usb")
)


def secure(response):
    response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if "no-store" not in response.get("Cache-Control", ""):
        response["Cache-Control"] = "no-store"
    return response


class BrowserSecurityMiddleware:
    """Sync and async: in an async chain it stays on the event loop (tests/test_static.py)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return secure(self.get_response(request))

    async def _acall(self, request):
        return secure(await self.get_response(request))
