"""The gateway's profile share (v3, intent PROFILE_SHARE), validated: every refusal names its
field, so a malformed share answers 400 with the reasons and stores nothing."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from scheduling import identity
from scheduling.abha_qr import SEX


class AddressSerializer(serializers.Serializer):
    line = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    district = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
    state = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
    pincode = serializers.CharField(required=False, allow_blank=True, max_length=10, default="")


class SharedPatientSerializer(serializers.Serializer):
    abhaNumber = serializers.CharField(required=False, allow_blank=True, default="")  # noqa: N815 (ABDM's names)
    abhaAddress = serializers.CharField()  # noqa: N815
    name = serializers.CharField(max_length=120)
    gender = serializers.CharField()
    dayOfBirth = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=31, default=None)  # noqa: N815
    monthOfBirth = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=12, default=None)  # noqa: N815
    yearOfBirth = serializers.IntegerField(min_value=1880)  # noqa: N815
    phoneNumber = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")  # noqa: N815
    address = AddressSerializer(required=False, default=dict)

    def _identifier(self, normalise, value):
        try:
            return normalise(value)
        except identity.InvalidIdentifier as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_abhaNumber(self, value):  # noqa: N802
        return self._identifier(identity.format_abha_number, value) if value else ""

    def validate_abhaAddress(self, value):  # noqa: N802
        return self._identifier(identity.normalise_abha_address, value)

    def validate_gender(self, value):
        sex = SEX.get(value.strip().upper())
        if sex is None:
            raise serializers.ValidationError("M, F or O.")
        return sex

    def validate_yearOfBirth(self, value):  # noqa: N802
        if value > timezone.localdate().year:
            raise serializers.ValidationError("A year of birth cannot be in the future.")
        return value

    def validate(self, data):
        day, month, year = data.get("dayOfBirth"), data.get("monthOfBirth"), data["yearOfBirth"]
        data["date_of_birth"] = None
        if day and month:
            try:
                data["date_of_birth"] = date(year, month, day)
            except ValueError:
                raise serializers.ValidationError({"dayOfBirth": f"{day}-{month}-{year} is not a date."}) from None
        data["name"] = " ".join(data["name"].split())
        if not data["name"]:
            raise serializers.ValidationError({"name": "A name is required."})
        return data


class ProfileSerializer(serializers.Serializer):
    patient = SharedPatientSerializer()


class MetaDataSerializer(serializers.Serializer):
    hipId = serializers.CharField()  # noqa: N815
    context = serializers.CharField(max_length=30)

    def validate_hipId(self, value):  # noqa: N802
        if value != settings.ABDM_HIP_ID:
            raise serializers.ValidationError(f"This bridge serves HIP {settings.ABDM_HIP_ID}, not {value}.")
        return value


class ProfileShareSerializer(serializers.Serializer):
    intent = serializers.CharField()
    metaData = MetaDataSerializer()  # noqa: N815
    profile = ProfileSerializer()

    def validate_intent(self, value):
        if value != "PROFILE_SHARE":
            raise serializers.ValidationError(f"Expected PROFILE_SHARE, got {value}.")
        return value
