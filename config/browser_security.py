"""Response headers for the browser: what the page may use (Permissions-Policy) and that no
page or API answer is kept in a cache (they carry patients' names; desks are shared PCs). Static
files are served before this middleware (config.static) and keep their long cache lifetime. The
Content-Security-Policy itself comes from django-csp (config.settings)."""

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in ("accelerometer", "bluetooth", "camera", "display-capture", "geolocation", "gyroscope", "hid",
                    "magnetometer", "microphone", "midi", "payment", "serial", "usb")
)


class BrowserSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response
