from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

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
