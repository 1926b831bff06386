"""The daily report printed by Debian's Chromium: a 20-doctor day on A4, looked at as PNGs."""

import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group

from queues.models import Category, QueueEvent
from scheduling.models import Department, Doctor
from tests.e2e.conftest import SCREENSHOTS
from tests.queues.test_reports import DAY, IST, C, DayBuilder, S

pytestmark = pytest.mark.browser

CATEGORIES = [C.ONLINE, C.WALKIN, C.FOLLOWUP, C.WALKIN, C.PRIORITY_PAID, C.ONLINE]


def hhmm(minutes_after_nine: int) -> str:
    moment = datetime(2000, 1, 1, 9) + timedelta(minutes=minutes_after_nine)
    return moment.strftime("%H:%M")


def build_twenty_doctor_day():
    b = DayBuilder(DAY, IST)
    departments = [Department.objects.create(name=n) for n in ("Medicine", "Paediatrics", "Orthopaedics", "ENT")]
    for i in range(20):
        doctor = Doctor.objects.create(
            name=f"Dr. {['Asha', 'Vikram', 'Meena', 'Rahul', 'Farah'][i % 5]} {['Rao', 'Iyer', 'Khan', 'Das'][i // 5]}",
            department=departments[i % 4], room=str(100 + i),
        )
        morning = b.slot(doctor, "09:00", "12:00", 15, delay=(i % 3) * 10)
        b.slot(doctor, "12:00", "14:00", 10)
        for j in range(14):
            start = j * 12 + i % 7
            if j == 12:
                b.token(morning, C.WALKIN, S.NO_SHOW)
            elif j == 13:
                b.token(morning, C.ONLINE, S.CANCELLED)
            elif j == 11 and i % 4 == 0:
                b.token(morning, Category.EMERGENCY, S.COMPLETED, None, hhmm(start + 3), hhmm(start + 9))
            else:
                status = S.ARRIVED if j == 10 else S.COMPLETED
                called = hhmm(start + 6 + (i + j) % 20) if status == S.COMPLETED else None
                done = hhmm(start + 14 + (i + j) % 20 + j % 5) if status == S.COMPLETED else None
                b.token(morning, CATEGORIES[(i + j) % 6], status, hhmm(start), called, done)
        if i % 3 == 0:
            QueueEvent.objects.create(kind=QueueEvent.Kind.DELAY_SET, slot=morning)


def test_the_report_prints_on_two_a4_pages_and_looks_right(page, live_server_url, login, django_user_model, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is needed (apt-get install -y poppler-utils)")
    build_twenty_doctor_day()
    user = django_user_model.objects.create_user("meera", password="manager-pass-42")
    user.groups.add(Group.objects.get(name="Manager"))
    login("meera", "manager-pass-42")
    page.goto(f"{live_server_url}/reports/daily/?date={DAY.isoformat()}")
    assert page.get_by_role("heading", name="Daily OPD report").is_visible()
    assert page.locator("#doctor-table tbody tr").count() == 20

    with tempfile.TemporaryDirectory() as tmp:
        pdf = os.path.join(tmp, "report.pdf")
        page.pdf(path=pdf, format="A4", print_background=True, prefer_css_page_size=True)
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
        count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        pages = [
            subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), pdf, "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, count + 1)
        ]
        subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "2", pdf, os.path.join(tmp, "page")], check=True)
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            shutil.copy(os.path.join(tmp, "page-1.png"), os.path.join(SCREENSHOTS, "report-page1.png"))
        if os.environ.get("REPORT_PAGES_DIR"):  # to look at every page by hand
            for n in range(1, min(count, 2) + 1):
                shutil.copy(os.path.join(tmp, f"page-{n}.png"), os.environ["REPORT_PAGES_DIR"])
        assert count <= 2, f"a 20-doctor day printed on {count} pages"
        first_two = "".join(pages[:2])
        # Headline figures and the whole per-doctor table (with its totals) fit on two pages.
        assert "Daily OPD report" in pages[0] and "City General Hospital" in pages[0]
        assert "Generated" in pages[0] and "All doctors and departments" in pages[0]
        assert "Booked" in pages[0] and "Slot utilisation" in pages[0]
        assert "Dr. Farah Das" in first_two and "All doctors" in first_two
        # No navigation or buttons on paper.
        for screen_only in ("Log out", "Doctors CSV", "Print", "Show"):
            assert screen_only not in "".join(pages)
