"""REST API for departments, doctors and patients (plain CRUD; no queue rules here)."""

import django_filters
from django.utils import timezone
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from idempotency.api import IdempotentPosts
from scheduling import identity, patient_search, patients
from scheduling.models import Department, Doctor, Patient
from scheduling.permissions import ManagesSchedulesOrReads, PatientActions


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "token_prefix", "created_at"]


class DoctorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Doctor
        fields = ["id", "name", "specialization", "department", "room", "token_prefix", "is_active", "created_at"]


class PatientSerializer(serializers.ModelSerializer):
    confirm_new = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="Register even though a patient with this name and phone exists (after a 409). "
        "Never overrides an ABHA match: one ABHA is one person.",
    )

    class Meta:
        model = Patient
        fields = [
            "id", "name", "phone", "email", "hospital_number", "abha_number", "abha_address", "guardian_name",
            "locality", "date_of_birth", "age", "sex", "created_at", "confirm_new",
        ]
        extra_kwargs = {
            "hospital_number": {"help_text": "The hospital's UHID; left out, the next one from UHID_PATTERN is given."},
            "abha_number": {"validators": [], "help_text": "14 digits; stored and shown as XX-XXXX-XXXX-XXXX."},
            "abha_address": {"validators": [], "help_text": "name@abdm (or name@sbx in the ABDM sandbox)."},
            "guardian_name": {"help_text": "Father's or husband's name."},
            "locality": {"help_text": "Village or locality."},
        }

    def validate_hospital_number(self, value):
        return (value or "").strip() or None  # "" means "none": keeps the unique constraint to real numbers

    def validate_name(self, value):
        name = " ".join(value.split())
        if not name:
            raise serializers.ValidationError("A name is required.")
        return name

    def validate_abha_number(self, value):
        return _identifier(identity.format_abha_number, value)

    def validate_abha_address(self, value):
        return _identifier(identity.normalise_abha_address, value)

    def validate_date_of_birth(self, value):
        if value and not identity.plausible_birth_date(value, today=timezone.localdate()):
            raise serializers.ValidationError("A date of birth is in the past and at most 130 years ago.")
        return value

    def validate(self, data):
        if self.instance is not None:  # an edit: an ABHA held by someone else is refused on its field
            for field in ("abha_number", "abha_address"):
                if data.get(field):
                    others, _ = patients.find_duplicates(name="", exclude_id=self.instance.pk, **{field: data[field]})
                    if others:
                        raise serializers.ValidationError({field: f"Already registered to {others[0].name} ({others[0].pk})."})
        return data

    def create(self, validated_data):
        """Through scheduling.patients.register_patient: a 409 with the matching patient's id for a
        possible duplicate (config.api.exception_handler), the next UHID when none is given."""
        return patients.register_patient(**validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("confirm_new", None)
        return super().update(instance, validated_data)


def _identifier(normalise, value):
    if not value:
        return None
    try:
        return normalise(value)
    except identity.InvalidIdentifier as exc:
        raise serializers.ValidationError(str(exc)) from None


class DoctorFilter(django_filters.FilterSet):
    class Meta:
        model = Doctor
        fields = ["department", "is_active"]


class PatientFilter(django_filters.FilterSet):
    phone = django_filters.CharFilter(lookup_expr="icontains")
    name = django_filters.CharFilter(lookup_expr="icontains")
    search = django_filters.CharFilter(
        method="search_text", label="Name, father's/husband's name or village (spelling-tolerant), phone, UHID, "
        "ABHA number or ABHA address; best match first.",
    )

    class Meta:
        model = Patient
        fields = ["phone", "name", "hospital_number", "abha_number", "abha_address"]

    def search_text(self, queryset, name, value):
        return patient_search.search_patients(queryset, value)


class DepartmentViewSet(IdempotentPosts, viewsets.ModelViewSet):
    permission_classes = [ManagesSchedulesOrReads]
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer


class DoctorViewSet(IdempotentPosts, viewsets.ModelViewSet):
    permission_classes = [ManagesSchedulesOrReads]
    queryset = Doctor.objects.all()
    serializer_class = DoctorSerializer
    filterset_class = DoctorFilter


class RegistryPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 50


class PatientViewSet(IdempotentPosts, viewsets.ModelViewSet):
    """The patient registry. Searched, never listed whole: a list needs a phone, name or hospital
    number to search by, and answers at most 50 a page. Edits and deletions are recorded with who
    made them (scheduling.patients); deleting is a manager's."""

    SEARCH_PARAMS = ("phone", "name", "hospital_number", "abha_number", "abha_address", "search")

    permission_classes = [PatientActions]
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    pagination_class = RegistryPagination

    def list(self, request, *args, **kwargs):
        if not any(request.query_params.get(name, "").strip() for name in self.SEARCH_PARAMS):
            raise ValidationError({"detail": "Search the registry by phone, name or hospital number "
                                             "(?search=, ?phone=, ?name=, ?hospital_number=, ?abha_number=); it is not listed whole."})
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        patient = self.get_object()
        patients.record_view(patient=patient, by=request.user, via="api")
        return Response(self.get_serializer(patient).data)

    def perform_update(self, serializer):
        serializer.instance = patients.update_patient(
            patient=serializer.instance, fields=serializer.validated_data, by=self.request.user, via="api")

    def perform_destroy(self, instance):
        patients.delete_patient(patient=instance, by=self.request.user, via="api")
