from django.conf import settings


def hospital(request):
    """The hospital's name on every page, slip and report."""
    return {"HOSPITAL_NAME": settings.HOSPITAL_NAME}
