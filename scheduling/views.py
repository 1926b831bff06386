"""Manager pages: doctors, departments and weekly patterns that generate slots. (A day's slots
are edited under queues, because changing a slot's capacity is a queue operation.)"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from config.permissions import role_required
from scheduling.errors import SchedulingError
from scheduling.forms import DepartmentForm, DoctorForm, GenerateForm, WeeklyPatternForm
from scheduling.models import Department, Doctor, WeeklyPattern
from scheduling.roles import MANAGE_SCHEDULES
from scheduling.schedules import generate_slots
from scheduling.tables import DoctorFilter, DoctorTable


@require_http_methods(["GET", "POST"])
@role_required(MANAGE_SCHEDULES)
@vary_on_headers("HX-Request")
def index(request):
    """Doctors (filter, sort, page through) with forms to add a doctor or a department."""
    doctor_form = DoctorForm(request.POST if request.POST.get("add") == "doctor" else None, prefix="doctor")
    department_form = DepartmentForm(request.POST if request.POST.get("add") == "department" else None, prefix="dept")
    if request.method == "POST":
        form = doctor_form if request.POST.get("add") == "doctor" else department_form
        if form.is_valid():
            saved = form.save()
            messages.success(request, f"{saved} added.")
            return redirect("scheduling:doctor", saved.pk) if isinstance(saved, Doctor) else redirect("scheduling:index")
    filterset = DoctorFilter(request.GET or None, queryset=Doctor.objects.select_related("department"))
    table = DoctorTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 15}).configure(table)
    context = {
        "nav": "schedules", "table": table, "filter": filterset, "doctor_form": doctor_form,
        "department_form": department_form, "departments": Department.objects.all(),
    }
    if request.htmx and request.htmx.target == "doctors":
        return render(request, "scheduling/index.html#doctors", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "scheduling/index.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(MANAGE_SCHEDULES)
def doctor(request, doctor_id):
    """One doctor: details, weekly patterns, and generating slots from a pattern."""
    doctor = get_object_or_404(Doctor.objects.select_related("department"), pk=doctor_id)
    action = request.POST.get("action")
    data = request.POST if request.method == "POST" else None
    forms = {
        "edit": DoctorForm(data if action == "edit" else None, instance=doctor, prefix="doctor"),
        "pattern": WeeklyPatternForm(data if action == "pattern" else None, prefix="pattern"),
        "generate": GenerateForm(data if action == "generate" else None, doctor=doctor, prefix="gen"),
    }
    form = forms.get(action)
    if form is not None and form.is_valid():
        if action == "pattern":
            form.instance.doctor = doctor
            messages.success(request, f"Pattern {form.save().days_display} added.")
        elif action == "generate":
            try:
                result = generate_slots(pattern=form.cleaned_data["pattern"], date_from=form.cleaned_data["date_from"],
                                        date_to=form.cleaned_data["date_to"])
            except SchedulingError as exc:
                messages.error(request, exc.message)
            else:
                skipped = f"; {len(result.skipped)} skipped because the doctor already has a slot then" if result.skipped else ""
                messages.success(request, f"{len(result.created)} slots created{skipped}.")
        else:
            form.save()
            messages.success(request, "Doctor saved.")
        return redirect("scheduling:doctor", doctor.pk)
    context = {
        "nav": "schedules", "doctor": doctor, "patterns": doctor.patterns.all(), "today": timezone.localdate(),
        **{f"{name}_form": f for name, f in forms.items()},
    }
    return render(request, "scheduling/doctor.html", context, status=400 if form is not None else 200)


@require_POST
@role_required(MANAGE_SCHEDULES)
def delete_pattern(request, pattern_id):
    pattern = get_object_or_404(WeeklyPattern, pk=pattern_id)
    pattern.delete()  # slots already generated stay
    messages.success(request, "Pattern removed; the slots it generated stay.")
    return redirect("scheduling:doctor", pattern.doctor_id)
