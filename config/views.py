from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

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
