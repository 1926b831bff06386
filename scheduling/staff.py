"""Manager pages for staff logins: list, add, edit (name, role, linked doctor, active) and reset a
password. Managers reach them through auth.change_user (a permission the Manager group holds).

What a manager can never do here: grant superuser or admin-site (is_staff) status, since the
forms carry neither field and the services never set them; edit a superuser or an admin-site
account, which stay with the admin; deactivate their own login or change their own role. Logins
are deactivated, never deleted, so the bookings they made stay in the event log."""

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from config.permissions import role_required
from scheduling import roles
from scheduling.forms import STAFF_ROLE_CHOICES, StaffCreateForm, StaffEditForm, StaffPasswordForm, current_role
from scheduling.models import Doctor
from scheduling.tables import StaffFilter, StaffTable

User = get_user_model()
MANAGE_STAFF = "auth.change_user"
ROLE_NAMES = [role for role, _ in STAFF_ROLE_CHOICES]



class StaffRefused(Exception):
    """A change to a staff login that is not allowed; the message is for the manager, `field` is
    the form field it belongs next to (None: the form as a whole)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


# --- Services ---------------------------------------------------------------------------------


def _role_group(role: str) -> Group:
    if role not in ROLE_NAMES:
        raise StaffRefused("Pick one of the roles.", "role")
    group = Group.objects.filter(name=role).first()
    if group is None:  # a flushed test database: make the role groups again
        roles.ensure_role_groups()
        group = Group.objects.get(name=role)
    return group


def _assign_role(*, user, role: str, doctor: Doctor | None) -> None:
    """Exactly one role Group, and the doctor link moved to `doctor` (or dropped). Other groups stay."""
    group = _role_group(role)
    user.groups.remove(*Group.objects.filter(name__in=ROLE_NAMES).exclude(pk=group.pk))
    user.groups.add(group)
    if doctor is not None:
        locked = Doctor.objects.select_for_update().get(pk=doctor.pk)
        if locked.user_id not in (None, user.pk):
            raise StaffRefused(f"{locked.name} already has a login; pick another doctor.", "doctor")
    Doctor.objects.filter(user=user).exclude(pk=getattr(doctor, "pk", None)).update(user=None)
    if doctor is not None:
        Doctor.objects.filter(pk=doctor.pk).update(user=user)


@transaction.atomic
def create_staff_login(*, username: str, first_name: str, last_name: str, password: str, role: str,
                       doctor: Doctor | None):
    """A new login with one role; never staff (admin site) or superuser."""
    user = User(username=username, first_name=first_name, last_name=last_name, is_staff=False, is_superuser=False)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise StaffRefused("That username was just taken; pick another.", "username") from None
    _assign_role(user=user, role=role, doctor=doctor)
    return user


def _lock_editable(*, user_id: int):
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_superuser or user.is_staff:
        raise StaffRefused("Superusers and admin-site accounts are managed in the admin.")
    return user


@transaction.atomic
def update_staff_login(*, user_id: int, by, first_name: str, last_name: str, is_active: bool, role: str,
                       doctor: Doctor | None):
    user = _lock_editable(user_id=user_id)
    if user.pk == by.pk and (not is_active or role != current_role(user)):
        raise StaffRefused("You cannot deactivate your own login or change your own role.")
    user.first_name, user.last_name, user.is_active = first_name, last_name, is_active
    user.save(update_fields=["first_name", "last_name", "is_active"])
    _assign_role(user=user, role=role, doctor=doctor)
    return user


@transaction.atomic
def set_staff_password(*, user_id: int, password: str):
    user = _lock_editable(user_id=user_id)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


# --- Views ------------------------------------------------------------------------------------


def _editable_or_403(user_id: int):
    user = get_object_or_404(User.objects.prefetch_related("groups"), pk=user_id)
    if user.is_superuser or user.is_staff:
        raise PermissionDenied("Superusers and admin-site accounts are managed in the admin.")
    return user


@require_GET
@role_required(MANAGE_STAFF)
@vary_on_headers("HX-Request")
def staff_list(request):
    """Staff logins (filter by role and active, search by name, sort, page through)."""
    users = User.objects.select_related("doctor").prefetch_related("groups").order_by("username")
    filterset = StaffFilter(request.GET or None, queryset=users)
    table = StaffTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 20}).configure(table)
    context = {"nav": "staff", "table": table, "filter": filterset}
    if request.htmx and request.htmx.target == "staff":
        return render(request, "scheduling/staff.html#staff", context)
    return render(request, "scheduling/staff.html", context)


def _saved(form, change) -> bool:
    """Run `change(cleaned_data)` for a valid form; a refusal becomes an error next to its field."""
    if not form.is_valid():
        return False
    try:
        change(form.cleaned_data)
    except StaffRefused as refused:
        form.add_error(refused.field, refused.message)
        return False
    return True


def _form_page(request, template, context):
    return render(request, template, {"nav": "staff", **context}, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@role_required(MANAGE_STAFF)
def staff_add(request):
    form = StaffCreateForm(request.POST or None)
    if _saved(form, lambda data: create_staff_login(
        username=data["username"], first_name=data["first_name"], last_name=data["last_name"],
        password=data["password1"], role=data["role"], doctor=data["doctor"],
    )):
        messages.success(request, f"Login {form.cleaned_data['username']} added as {form.cleaned_data['role']}.")
        return redirect("scheduling:staff")
    return _form_page(request, "scheduling/staff_form.html", {"form": form, "adding": True})


@require_http_methods(["GET", "POST"])
@role_required(MANAGE_STAFF)
def staff_edit(request, user_id):
    staff = _editable_or_403(user_id)
    form = StaffEditForm(request.POST or None, instance=staff, editor=request.user)
    if _saved(form, lambda data: update_staff_login(
        user_id=staff.pk, by=request.user, first_name=data["first_name"], last_name=data["last_name"],
        is_active=data["is_active"], role=data["role"], doctor=data["doctor"],
    )):
        messages.success(request, f"Login {staff.username} saved.")
        return redirect("scheduling:staff")
    return _form_page(request, "scheduling/staff_form.html", {"form": form, "staff": staff, "adding": False})


@require_http_methods(["GET", "POST"])
@role_required(MANAGE_STAFF)
def staff_password(request, user_id):
    staff = _editable_or_403(user_id)
    form = StaffPasswordForm(staff, request.POST or None)
    if _saved(form, lambda data: set_staff_password(user_id=staff.pk, password=data["new_password1"])):
        if staff.pk == request.user.pk:
            staff.refresh_from_db(fields=["password"])
            update_session_auth_hash(request, staff)  # a manager resetting their own stays logged in
        messages.success(request, f"New password set for {staff.username}.")
        return redirect("scheduling:staff")
    return _form_page(request, "scheduling/staff_password.html", {"form": form, "staff": staff})
