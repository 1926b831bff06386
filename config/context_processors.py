from django.conf import settings


def hospital(request):
    """The hospital's name on every page, slip and report; live screens' heartbeat period."""
    return {"HOSPITAL_NAME": settings.HOSPITAL_NAME, "LIVE_HEARTBEAT_SECONDS": settings.LIVE_HEARTBEAT_SECONDS}
