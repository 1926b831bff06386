"""REST API for departments, doctors and patients (plain CRUD; no queue rules here)."""

import django_filters
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from config.permissions import ManagesSchedulesOrReads, PatientActions
from idempotency.api import IdempotentPosts
from scheduling import patients
from scheduling.models import Department, Doctor, Patient


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "token_prefix", "created_at"]


class DoctorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Doctor
        fields = ["id", "name", "specialization", "department", "room", "token_prefix", "is_active", "created_at"]


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "name", "phone", "email", "hospital_number", "age", "sex", "created_at"]

    def validate_hospital_number(self, value):
        return value or None  # "" means "none": keeps the unique constraint to real numbers

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("A name is required.")
        return value.strip()


class DoctorFilter(django_filters.FilterSet):
    class Meta:
        model = Doctor
        fields = ["department", "is_active"]


class PatientFilter(django_filters.FilterSet):
    phone = django_filters.CharFilter(lookup_expr="icontains")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Patient
        fields = ["phone", "name", "hospital_number"]


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

    SEARCH_PARAMS = ("phone", "name", "hospital_number", "search")

    permission_classes = [PatientActions]
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    pagination_class = RegistryPagination

    def list(self, request, *args, **kwargs):
        if not any(request.query_params.get(name, "").strip() for name in self.SEARCH_PARAMS):
            raise ValidationError({"detail": "Search the registry by phone, name or hospital number "
                                             "(?phone=, ?name=, ?hospital_number=); it is not listed whole."})
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
