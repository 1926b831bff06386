"""ABDM Scan & Share: the hospital's registration counters and the profiles patients share there."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from queues.models import Token
from scheduling.models import Patient

COUNTER_CODE = RegexValidator(r"^[A-Za-z0-9_-]{1,30}$", "Letters, digits, - and _ only, e.g. OPD-1.")


class RegistrationCounter(models.Model):
    """A counter where patients scan the facility's QR; its code is the QR's counter context,
    which ABDM sends back with each shared profile."""

    code = models.CharField(max_length=30, unique=True, validators=[COUNTER_CODE],
                            help_text="Printed in the counter's QR and sent back by ABDM with each share, e.g. OPD-1.")
    name = models.CharField(max_length=80, help_text="What the desk calls it, e.g. Main OPD counter 1.")
    active = models.BooleanField(default=True, help_text="Shares to an inactive counter are refused.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class CounterDay(models.Model):
    """One row per counter per local day: hands out the counter's token numbers under its row lock."""

    counter = models.ForeignKey(RegistrationCounter, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["counter", "day"], name="one_ledger_per_counter_day")]


class ProfileShare(models.Model):
    """A patient's ABHA profile shared at a counter, with the counter token they were given."""

    counter = models.ForeignKey(RegistrationCounter, on_delete=models.PROTECT, related_name="shares")
    day = models.DateField()
    token_number = models.PositiveIntegerField()
    shared_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The profile as ABDM sent it (validated).
    abha_address = models.CharField(max_length=64, db_index=True)
    abha_number = models.CharField(max_length=17, blank=True)
    name = models.CharField(max_length=120)
    sex = models.CharField(max_length=1, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    year_of_birth = models.PositiveSmallIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=300, blank=True)
    district = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=80, blank=True)
    # The registered patient it matched (by ABHA) or was registered as, and the doctor's token
    # it was booked into.
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="abha_shares")
    token = models.ForeignKey(Token, null=True, blank=True, on_delete=models.SET_NULL, related_name="abha_shares")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The answer to the gateway (on-share): the request it answers, when it got through, tries.
    request_id = models.CharField(max_length=64, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_attempts = models.PositiveSmallIntegerField(default=0)
    answer_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-shared_at"]
        constraints = [
            models.UniqueConstraint(fields=["counter", "day", "token_number"], name="counter_token_unique_per_day"),
        ]

    def __str__(self):
        return f"{self.counter.code}-{self.token_number} {self.name}"

    @property
    def token_label(self) -> str:
        return f"{self.counter.code}-{self.token_number}"
