import sys

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.cache import never_cache

from config import faults
from scheduling import roles


@login_required
def home(request):
    """Send each role to the page it works from."""
    user = request.user
    if user.has_perm(roles.USE_DESK):
        return redirect("/desk/")
    if user.has_perm(roles.WORK_QUEUE):
        return redirect("/doctor/")
    if user.has_perm(roles.VIEW_REPORTS):
        return redirect("/reports/daily/")
    return render(request, "no_role.html", status=403)


@never_cache
def healthz(request):
    """For load balancers and uptime checks: is the app up and can it reach its database?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def server_error(request):
    """handler500: a database fault anywhere in the request is a 503 to retry (config.faults);
    any other error answers API clients in JSON, like every other API answer."""
    if isinstance(sys.exc_info()[1], faults.DATABASE_ERRORS):
        return faults.unavailable_response(request)
    if faults.is_api(request):
        return JsonResponse({"detail": "Something went wrong on the server; it has been logged.", "code": "server_error"}, status=500)
    return defaults.server_error(request)
