"""The daily report page (/reports/daily/) and its CSV downloads."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from queues.models import Category, Token
from scheduling.models import Doctor
from tests.queues.test_reports import DAY, IST, C, DayBuilder, S, kolkata_day  # noqa: F401
from tests.staff import make_staff

pytestmark = pytest.mark.django_db
URL = "/reports/daily/"


@pytest.fixture
def manager(client, db):
    user = make_staff("meera", "Manager")
    client.force_login(user)
    return user


def test_a_manager_sees_the_days_figures(client, manager, kolkata_day):  # noqa: F811
    response = client.get(URL, {"date": DAY.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Daily OPD report · Tuesday 10 March 2026" in html
    assert "<dt>Booked</dt><dd>12</dd>" in html
    assert "<dt>No-shows</dt><dd>2 <small>(18%)</small></dd>" in html  # 2 of 11 not cancelled
    assert "46% <small>(6 / 13)</small>" in html
    # Median wait 1500 s = 25.0 min, p90 2700 s = 45.0 min.
    assert '<td class="num">25.0</td><td class="num">45.0</td>' in html
    table = response.context["table"]
    assert [row.get_cell("doctor_name") for row in table.rows][0].startswith("Dr. A")
    assert "<svg" in html and "09:00: 5 arrived, 4 seen" in html
    assert "Walk-in: 4" in html


def test_the_page_takes_the_same_queries_for_a_bigger_day(client, manager, kolkata_day):  # noqa: F811
    client.get(URL, {"date": DAY.isoformat()})  # the category names are read once, then cached
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"date": DAY.isoformat()})
    b = DayBuilder(DAY, IST)
    for n in range(4):
        slot = b.slot(Doctor.objects.create(name=f"Dr. More {n}"), "09:00", "12:00", 30)
        for _ in range(5):
            b.token(slot, C.ONLINE, S.COMPLETED, "09:00", "09:20", "09:30")
    with CaptureQueriesContext(connection) as big:
        response = client.get(URL, {"date": DAY.isoformat()})
    assert len(response.context["table"].rows) == 6
    assert len(small) == len(big) <= 18, [q["sql"] for q in big]
    assert len(big) >= 9, "the figures alone take 9 queries"


@pytest.mark.parametrize(
    "query, message",
    [
        ({"date": "2026-02-30"}, "“2026-02-30” is not a date: use YYYY-MM-DD"),
        ({"date": "10/03/2026"}, "“10/03/2026” is not a date"),
        ({"doctor": str(uuid.UUID(int=7))}, f"There is no doctor “{uuid.UUID(int=7)}”"),
        ({"doctor": "dr-who"}, "“dr-who” is not a valid UUID"),
        ({"department": str(uuid.UUID(int=9))}, "There is no department"),
    ],
)
def test_bad_filters_are_explained_on_the_page(client, manager, query, message):
    response = client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "The report cannot be shown" in response.content.decode()


def test_an_empty_day_says_not_enough_data(client, manager):
    html = client.get(URL, {"date": "2026-01-01"}).content.decode()
    assert "not enough data" in html
    assert "No doctor had slots or bookings on this day." in html
    assert "No check-ins or completed consultations on this day." in html


def test_a_future_day_shows_the_bookings_so_far(client, manager, doctor):
    day = timezone.localdate() + timedelta(days=2)
    b = DayBuilder(day, IST)
    b.token(b.slot(doctor, "09:00", "10:00", 5), C.ONLINE, S.CONFIRMED)
    html = client.get(URL, {"date": day.isoformat()}).content.decode()
    assert "the figures are the bookings made so far" in html
    assert "<dt>Booked</dt><dd>1</dd>" in html


def test_other_roles_cannot_see_the_report(client, django_user_model):
    assert client.get(URL).status_code == 302  # to the login page
    user = django_user_model.objects.create_user("asha", password="counter-pass-42")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    for url in (URL, URL + "doctors.csv", URL + "tokens.csv"):
        assert client.get(url).status_code == 403


def _csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_doctors_csv_has_the_tables_rows(client, manager, kolkata_day):  # noqa: F811
    response = client.get(URL + "doctors.csv", {"date": DAY.isoformat()})
    assert 'filename="opd-report-2026-03-10-doctors.csv"' in response["Content-Disposition"]
    header, a, b = _csv(response)
    assert header[:3] == ["Doctor", "Slots", "Capacity"]
    row = dict(zip(header, a))
    assert (row["Doctor"], row["Booked"], row["Seen"], row["Util."]) == ("Dr. A", "8", "4", "50.0")
    assert (row["Median wait (min)"], row["Median consult. (min)"], row["Delay (min)"]) == ("25.0", "12.5", "15")


def test_the_tokens_csv_has_every_token_with_local_timestamps(client, manager, kolkata_day):  # noqa: F811
    rows = _csv(client.get(URL + "tokens.csv", {"date": DAY.isoformat(), "doctor": str(kolkata_day["a"].pk)}))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert len(rows) == 1 + 8
    assert {"booked_at", "arrived_at", "called_at", "completed_at", "cancelled_at", "no_show_at"} <= set(header)
    assert first["token_number"] == "1" and first["status"] == "COMPLETED"
    assert first["arrived_at"] == "2026-03-10T09:00:00+05:30"
    assert (first["waiting_minutes"], first["consultation_minutes"]) == ("10.0", "10.0")
    assert Token.objects.filter(day=DAY, category=Category.EMERGENCY).count() == 1


def test_the_csvs_keep_typed_text_that_a_spreadsheet_would_run_as_a_formula_as_text(client, manager, kolkata_day):  # noqa: F811
    token = Token.objects.filter(day=DAY, status=S.CANCELLED).select_related("patient", "doctor").get()
    token.patient.name = '=HYPERLINK("http://evil.example/","Open")'
    token.patient.save()
    token.cancel_reason = "@SUM(1+1)"
    token.save()
    Doctor.objects.filter(pk=token.doctor_id).update(name="+Dr. A")
    tokens = _csv(client.get(URL + "tokens.csv", {"date": DAY.isoformat()}))
    cancelled = next(dict(zip(tokens[0], row)) for row in tokens[1:] if row[tokens[0].index("status")] == "CANCELLED")
    assert cancelled["patient"] == '\'=HYPERLINK("http://evil.example/","Open")'
    assert cancelled["cancel_reason"] == "'@SUM(1+1)"
    assert cancelled["doctor"] == "'+Dr. A"
    first = dict(zip(tokens[0], tokens[1]))
    assert (first["token_number"], first["arrived_at"]) == ("1", "2026-03-10T09:00:00+05:30")  # left alone
    doctors = _csv(client.get(URL + "doctors.csv", {"date": DAY.isoformat()}))
    assert [row[0] for row in doctors[1:]] == ["'+Dr. A", "Dr. B"]


def test_a_bad_filter_on_a_download_is_a_400_with_the_reason(client, manager):
    response = client.get(URL + "tokens.csv", {"date": "yesterday"})
    assert response.status_code == 400
    assert "“yesterday” is not a date" in response.content.decode()
