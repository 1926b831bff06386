"""Demo data for a first look: departments, doctors, today's slots, patients, some bookings and
one login per staff role. Safe to run again: it only adds what is missing."""

import os
import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from queues import allocation
from queues.errors import AlreadyBooked
from queues.models import Display, Token
from scheduling.models import Department, Doctor, Patient, Slot

DOCTORS = [  # name, specialization, department, room, the department's token prefix
    ("Dr. Asha Rao", "General Physician", "General Medicine", "4", "GM"),
    ("Dr. Vikram Mehta", "Cardiologist", "Cardiology", "7", "C"),
    ("Dr. Priya Nair", "Paediatrician", "Paediatrics", "2", "P"),
    ("Dr. Sanjay Gupta", "Orthopaedic Surgeon", "Orthopaedics", "11", "OR"),
    ("Dr. Meera Iyer", "Dermatologist", "Dermatology", "9", "D"),
    ("Dr. Arjun Singh", "ENT Specialist", "ENT", "5", "ENT"),
]
PATIENTS = [
    "Ramesh Kumar", "Sunita Devi", "Anil Sharma", "Kavita Joshi", "Mohammed Irfan", "Lakshmi Menon",
    "Rahul Verma", "Pooja Patel", "Suresh Reddy", "Anjali Das", "Deepak Yadav", "Fatima Sheikh",
    "Gopal Krishnan", "Neha Kapoor", "Harish Chandra", "Meena Kumari", "Vijay Pillai", "Rekha Bose",
    "Imran Khan", "Sneha Kulkarni", "Manoj Tiwari", "Divya Rao", "Ajay Chauhan", "Geeta Mishra",
]
SESSIONS = [(time(9), time(13)), (time(14), time(17))]  # hourly slots, 10 patients each
ROLES = ["Reception", "Doctor", "Manager"]


class Command(BaseCommand):
    help = "Load demo data (idempotent). Refuses to run with DEBUG off unless --force is given."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force to load demo data anyway.")
        with transaction.atomic():
            doctors = self._doctors()
            patients = self._patients()
            slots = self._slots(doctors)
        self._bookings(slots, patients)
        self._users(doctors[0])
        self._displays(doctors)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(doctors)} doctors, today's slots, {len(patients)} patients."))

    def _doctors(self):
        doctors = []
        for name, specialization, department, room, prefix in DOCTORS:
            dept, _ = Department.objects.get_or_create(name=department, defaults={"token_prefix": prefix})
            doctor, _ = Doctor.objects.get_or_create(
                name=name, defaults={"specialization": specialization, "department": dept, "room": room}
            )
            doctors.append(doctor)
        return doctors

    def _patients(self):
        patients = []
        for n, name in enumerate(PATIENTS, start=1):
            patient, _ = Patient.objects.get_or_create(
                hospital_number=f"H{1000 + n}",
                defaults={"name": name, "phone": f"98765{n:05d}", "age": 20 + (n * 7) % 60, "sex": "FM"[n % 2]},
            )
            patients.append(patient)
        return patients

    def _slots(self, doctors):
        today = timezone.localdate()
        tz = timezone.get_current_timezone()
        slots = []
        for doctor in doctors:
            for start, end in SESSIONS:
                hour = start.hour
                while hour < end.hour:
                    begins = timezone.make_aware(datetime.combine(today, time(hour)), tz)
                    slot, _ = Slot.objects.get_or_create(
                        doctor=doctor, start_time=begins,
                        defaults={"end_time": begins + timedelta(hours=1), "max_capacity": 10},
                    )
                    slots.append(slot)
                    hour += 1
        return slots

    def _bookings(self, slots, patients):
        """A few bookings in each doctor's current or next slot, so the queues are not empty."""
        now = timezone.now()
        categories = ["WALKIN", "ONLINE", "WALKIN", "FOLLOWUP", "PRIORITY_PAID", "WALKIN"]
        by_doctor = {}
        for slot in slots:
            if slot.end_time > now and slot.doctor_id not in by_doctor:
                by_doctor[slot.doctor_id] = slot
        for i, slot in enumerate(by_doctor.values()):
            if Token.objects.filter(slot=slot).exists():
                continue
            for j in range(6):
                patient = patients[(i * 4 + j) % len(patients)]
                try:
                    result = allocation.book_token(
                        slot_id=slot.pk, patient_id=patient.pk, category=categories[j],
                        booked_at=now - timedelta(minutes=10 * (6 - j)),
                    )
                except AlreadyBooked:
                    continue
                if result.confirmed and result.token.status == Token.Status.CONFIRMED and j < 3:
                    allocation.check_in(token_id=result.token.pk)  # some booked patients have arrived

    def _users(self, first_doctor):
        User = get_user_model()
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        created = []
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=role)
            username = role.lower()
            if not User.objects.filter(username=username).exists():
                user = User.objects.create_user(username, password=password)
                user.groups.add(group)
                created.append(username)
                if role == "Doctor" and first_doctor.user_id is None:
                    first_doctor.user = user
                    first_doctor.save(update_fields=["user"])
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", password=password)
            created.append("admin")
        if created:
            self.stdout.write("Demo logins (shown once; set DEMO_PASSWORD to choose the password):")
            for username in created:
                self.stdout.write(f"  {username:<10} password: {password}")
        else:
            self.stdout.write("Demo logins already exist: reception, doctor, manager, admin (passwords unchanged).")

    def _displays(self, doctors):
        """One waiting-room board for every doctor; prints each board's full URL on its own line."""
        if not Display.objects.exists():
            Display.objects.create(name="Main waiting hall").doctors.set(doctors)
        base = os.environ.get("BOARD_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")
        self.stdout.write("Waiting-room boards (open on a TV; no login):")
        for display in Display.objects.filter(active=True):
            self.stdout.write(f"{base}/board/{display.key}/")
