"""REST API: a patient's consent to be messaged, per channel (the desk's or an online booking's
record of the patient's choice: when, how and by whom are kept)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from config.ids import is_uuid
from config.permissions import UsesDesk
from notices import consent
from notices.models import Channel, Consent


class ConsentSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Consent
        fields = ["channel", "granted", "language", "how", "by", "note", "at"]
        read_only_fields = ["by", "at"]


class ConsentRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    granted = serializers.BooleanField()
    language = serializers.ChoiceField(choices=["en", "hi"], default="en")
    how = serializers.ChoiceField(choices=[Consent.How.DESK, Consent.How.API], default=Consent.How.DESK)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PatientConsentView(APIView):
    permission_classes = [UsesDesk]

    @extend_schema(responses=ConsentSerializer(many=True), summary="The patient's consent in force, per channel")
    def get(self, request, patient_id):
        self._check(patient_id)
        return Response(ConsentSerializer(consent.in_force(patient_id).values(), many=True).data)

    @extend_schema(request=ConsentRequestSerializer, responses={201: ConsentSerializer},
                   summary="Record the patient's yes or no for one channel")
    def post(self, request, patient_id):
        self._check(patient_id)
        data = ConsentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            recorded = consent.record_consent(patient_id=patient_id, by=request.user, **data.validated_data)
        except consent.ConsentError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(ConsentSerializer(recorded).data, status=status.HTTP_201_CREATED)

    def _check(self, patient_id):
        from scheduling.models import Patient

        if not is_uuid(patient_id) or not Patient.objects.filter(pk=patient_id).exists():
            raise NotFound("No such patient.")
