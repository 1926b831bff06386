"""Every page against every role: anonymous users go to the login page, a role without the
permission gets 403, the role with it gets in."""

import pytest
from django.contrib.auth.models import Group

from queues import allocation
from scheduling.models import Doctor

ROLES = ["no-role", "Reception", "Doctor", "Manager", "superuser"]
DESK = {"Reception", "Manager", "superuser"}
MANAGER = {"Manager", "superuser"}
QUEUE = {"Doctor", "Manager", "superuser"}
REPORTS = {"Manager", "superuser"}
STAFF = {"Reception", "Doctor", "Manager", "superuser"}


@pytest.fixture
def world(slot, patient, django_user_model):
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN").token
    clerk = django_user_model.objects.create_user("clerk", password="clerk-pass-123")
    return {"slot": slot, "token": token, "doctor": slot.doctor, "clerk": clerk}


def pages(w):
    """(method, url, roles allowed)"""
    return [
        ("get", "/desk/", DESK),
        ("get", f"/desk/?slot={w['slot'].pk}", DESK),
        ("post", "/desk/book/", DESK),
        ("post", "/desk/patients/", DESK),
        ("post", "/desk/emergency/", DESK),
        ("post", f"/desk/tokens/{w['token'].pk}/check-in/", DESK),
        ("post", f"/desk/tokens/{w['token'].pk}/no-show/", DESK),
        ("post", f"/desk/tokens/{w['token'].pk}/reinstate/", DESK),
        ("get", f"/desk/tokens/{w['token'].pk}/cancel/", DESK),
        ("get", f"/desk/slots/{w['slot'].pk}/delay/", DESK),
        ("get", f"/desk/slots/{w['slot'].pk}/cancel/", DESK),
        ("get", f"/tokens/{w['token'].pk}/slip/", DESK),
        ("get", "/schedules/", MANAGER),
        ("get", f"/schedules/doctors/{w['doctor'].pk}/", MANAGER),
        ("get", "/schedules/day/", MANAGER),
        ("post", f"/schedules/slots/{w['slot'].pk}/capacity/", MANAGER),
        ("get", "/schedules/staff/", MANAGER),
        ("get", "/schedules/staff/add/", MANAGER),
        ("post", "/schedules/staff/add/", MANAGER),
        ("get", f"/schedules/staff/{w['clerk'].pk}/", MANAGER),
        ("post", f"/schedules/staff/{w['clerk'].pk}/", MANAGER),
        ("get", f"/schedules/staff/{w['clerk'].pk}/password/", MANAGER),
        ("post", f"/schedules/staff/{w['clerk'].pk}/password/", MANAGER),
        ("get", "/doctor/", QUEUE),
        ("get", "/reports/daily/", REPORTS),
        ("get", "/api/docs/", STAFF),
    ]


def login_as(client, django_user_model, role, doctor):
    if role == "superuser":
        user = django_user_model.objects.create_superuser("root", password="root-pass-123")
    else:
        user = django_user_model.objects.create_user(role.lower(), password="role-pass-123")
        if role != "no-role":
            user.groups.add(Group.objects.get(name=role))
        if role == "Doctor":
            doctor.user = user
            doctor.save()
    client.force_login(user)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(client, django_user_model, world, role):
    login_as(client, django_user_model, role, world["doctor"])
    for method, url, allowed in pages(world):
        status = getattr(client, method)(url).status_code
        if role in allowed:
            assert status != 403 and status < 500, (role, method, url, status)
        else:
            assert status == 403, (role, method, url, status)


def test_anonymous_users_are_sent_to_the_login_page(client, world):
    for method, url, _ in pages(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url


def test_a_doctor_cannot_act_at_the_desk_on_any_queue(client, django_user_model, world):
    login_as(client, django_user_model, "Doctor", world["doctor"])
    assert client.post(f"/desk/tokens/{world['token'].pk}/no-show/").status_code == 403
    world["token"].refresh_from_db()
    assert world["token"].status == "ARRIVED"  # unchanged: a walk-in is checked in at booking


def test_every_desk_post_needs_the_csrf_token(world, django_user_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    login_as(client, django_user_model, "Reception", Doctor.objects.first())
    assert client.post(f"/desk/tokens/{world['token'].pk}/check-in/", HTTP_HX_REQUEST="true").status_code == 403
    page = client.get("/desk/")
    assert b'hx-headers=\'{"x-csrftoken": "' in page.content
