"""Manager pages for staff logins: list, add, edit, deactivate, reset a password, and every refusal."""

import pytest
from django.contrib.auth.models import Group

from scheduling.models import Doctor

PASSWORD = "Sturdy-desk-lamp-81"


@pytest.fixture
def make_login(django_user_model):
    def make(username, role=None, doctor=None, **extra):
        user = django_user_model.objects.create_user(username, password=PASSWORD, **extra)
        if role:
            user.groups.add(Group.objects.get(name=role))
        if doctor is not None:
            doctor.user = user
            doctor.save()
        return user

    return make


@pytest.fixture
def manager(client, make_login):
    user = make_login("meera", "Manager", first_name="Meera", last_name="Nair")
    client.force_login(user)
    return user


@pytest.fixture
def clerk(make_login):
    return make_login("ravi", "Reception", first_name="Ravi", last_name="Kumar")


def add(client, **overrides):
    data = {"username": "sunita", "first_name": "Sunita", "last_name": "Das", "role": "Reception", "doctor": "",
            "password1": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return client.post("/schedules/staff/add/", data)


def edit(client, user, **overrides):
    data = {"first_name": user.first_name, "last_name": user.last_name, "role": "Reception", "doctor": "",
            "is_active": "on"}
    data.update(overrides)
    return client.post(f"/schedules/staff/{user.pk}/", {k: v for k, v in data.items() if v is not None})


def table(response):
    """The staff table's HTML (the navbar names the logged-in user too)."""
    return response.content.decode().split('id="staff-table"')[1].split("</table>")[0]


def roles_of(user):
    return sorted(user.groups.values_list("name", flat=True))


# --- List ---------------------------------------------------------------------------------------


def test_it_lists_staff_logins_with_role_doctor_and_active(client, manager, clerk, make_login, doctor):
    make_login("asha", "Doctor", doctor=doctor, first_name="Asha", last_name="Rao")
    response = client.get("/schedules/staff/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="staff-table"' in html
    assert "Ravi Kumar" in html and "Reception" in html
    assert "Dr. Asha Rao" in html
    assert f'href="/schedules/staff/{clerk.pk}/"' in html


def test_it_filters_by_role_and_active_and_searches_by_name(client, manager, clerk, make_login):
    make_login("gone", "Reception", first_name="Old", last_name="Hand", is_active=False)
    page = table(client.get("/schedules/staff/", {"role": "Manager"}))
    assert "meera" in page and "ravi" not in page
    page = table(client.get("/schedules/staff/", {"is_active": "false"}))
    assert "gone" in page and "ravi" not in page and "meera" not in page
    page = table(client.get("/schedules/staff/", {"q": "ravi kum"}))
    assert "Ravi Kumar" in page and "meera" not in page


def test_the_htmx_table_request_gets_only_the_table(client, manager, clerk):
    response = client.get("/schedules/staff/", {"q": "ravi"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="staff")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="staff"' in html and "<nav" not in html.split('id="staff"')[0]
    assert "ravi" in html


def test_a_superuser_is_listed_without_an_edit_link(client, manager, django_user_model):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    html = client.get("/schedules/staff/").content.decode()
    assert "Superuser" in html and f"/schedules/staff/{root.pk}/" not in html


def test_names_with_html_are_shown_as_text(client, manager, make_login):
    make_login("x", "Reception", first_name="<script>alert(1)</script>")
    html = client.get("/schedules/staff/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# --- Add ----------------------------------------------------------------------------------------


def test_a_manager_adds_a_reception_login(client, manager, django_user_model):
    response = add(client)
    assert response.status_code == 302 and response.url == "/schedules/staff/"
    user = django_user_model.objects.get(username="sunita")
    assert user.check_password(PASSWORD) and user.get_full_name() == "Sunita Das"
    assert roles_of(user) == ["Reception"] and not user.is_staff and not user.is_superuser
    assert "Login sunita added as Reception." in client.get("/schedules/staff/").content.decode()


def test_a_doctor_login_is_linked_to_its_doctor_and_sees_that_queue(client, manager, doctor, django_user_model):
    assert add(client, username="asha", role="Doctor", doctor=str(doctor.pk)).status_code == 302
    doctor.refresh_from_db()
    assert doctor.user.username == "asha" and roles_of(doctor.user) == ["Doctor"]
    client.logout()
    assert client.post("/accounts/login/", {"username": "asha", "password": PASSWORD}).status_code == 302
    response = client.get("/doctor/")
    assert response.status_code == 302 and response.url == f"/doctor/{doctor.pk}/"
    assert client.get(response.url).status_code == 200
    other = Doctor.objects.create(name="Dr. Other")
    assert client.get(f"/doctor/{other.pk}/").status_code == 403


def test_adding_a_doctor_login_needs_a_doctor(client, manager, django_user_model):
    response = add(client, role="Doctor")
    assert response.status_code == 400
    assert "Pick the doctor whose queue this login works." in response.content.decode()
    assert not django_user_model.objects.filter(username="sunita").exists()


def test_only_doctors_without_a_login_are_offered(client, manager, doctor, make_login):
    free = Doctor.objects.create(name="Dr. Free Person")
    make_login("asha", "Doctor", doctor=doctor)
    html = client.get("/schedules/staff/add/").content.decode()
    assert "Dr. Free Person" in html and "Dr. Asha Rao" not in html
    response = add(client, role="Doctor", doctor=str(doctor.pk))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert free.user is None


def test_a_non_doctor_role_cannot_be_linked_to_a_doctor(client, manager, doctor):
    response = add(client, role="Manager", doctor=str(doctor.pk))
    assert response.status_code == 400 and "Only a Doctor login is linked to a doctor" in response.content.decode()


def test_bad_input_is_shown_next_to_the_field_with_what_was_typed(client, manager, clerk):
    response = add(client, username="ravi", first_name="Typed Name", password1="123", password2="1234", role="Nurse")
    assert response.status_code == 400
    html = response.content.decode()
    assert "A user with that username already exists." in html
    assert "password fields didn’t match" in html or "password fields didn&#x27;t match" in html
    assert "Select a valid choice" in html
    assert 'value="Typed Name"' in html and 'id="id_username-error"' in html


def test_a_weak_password_is_refused_by_djangos_validators(client, manager, django_user_model):
    response = add(client, password1="password", password2="password")
    assert response.status_code == 400 and "This password is too common." in response.content.decode()
    assert not django_user_model.objects.filter(username="sunita").exists()


def test_adding_never_grants_superuser_or_staff(client, manager, django_user_model):
    add(client, is_superuser="on", is_staff="on", user_permissions="1", groups="1")
    user = django_user_model.objects.get(username="sunita")
    assert not user.is_superuser and not user.is_staff and not user.user_permissions.exists()
    assert roles_of(user) == ["Reception"]


# --- Edit, deactivate ---------------------------------------------------------------------------


def test_a_manager_edits_name_and_role(client, manager, clerk):
    response = edit(client, clerk, first_name="Ravindra", role="Manager")
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.first_name == "Ravindra" and roles_of(clerk) == ["Manager"]


def test_changing_role_keeps_other_groups(client, manager, clerk):
    night = Group.objects.create(name="Night shift")
    clerk.groups.add(night)
    edit(client, clerk, role="Manager")
    assert roles_of(clerk) == ["Manager", "Night shift"]


def test_a_manager_deactivates_a_login_which_then_cannot_log_in(client, manager, clerk):
    response = edit(client, clerk, is_active=None)
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active
    client.logout()
    refused = client.post("/accounts/login/", {"username": "ravi", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


def test_moving_a_doctor_login_to_another_doctor_frees_the_first(client, manager, doctor, make_login):
    login = make_login("asha", "Doctor", doctor=doctor)
    other = Doctor.objects.create(name="Dr. Other")
    assert edit(client, login, role="Doctor", doctor=str(other.pk)).status_code == 302
    doctor.refresh_from_db()
    other.refresh_from_db()
    assert doctor.user is None and other.user == login


def test_a_doctor_login_turned_reception_loses_its_doctor(client, manager, doctor, make_login):
    login = make_login("asha", "Doctor", doctor=doctor)
    assert edit(client, login, role="Reception").status_code == 302
    doctor.refresh_from_db()
    assert doctor.user is None and roles_of(login) == ["Reception"]


def test_editing_never_grants_superuser_or_staff(client, manager, clerk):
    edit(client, clerk, is_superuser="on", is_staff="on", username="hijack")
    clerk.refresh_from_db()
    assert not clerk.is_superuser and not clerk.is_staff and clerk.username == "ravi"


def test_a_manager_cannot_deactivate_themselves(client, manager):
    response = edit(client, manager, role="Manager", is_active=None)
    assert response.status_code == 400 and "You cannot deactivate your own login." in response.content.decode()
    manager.refresh_from_db()
    assert manager.is_active


def test_a_manager_cannot_demote_themselves(client, manager):
    response = edit(client, manager, role="Reception")
    assert response.status_code == 400 and "You cannot change your own role" in response.content.decode()
    assert roles_of(manager) == ["Manager"]


def test_a_manager_may_rename_themselves(client, manager):
    assert edit(client, manager, role="Manager", first_name="Meera K").status_code == 302
    manager.refresh_from_db()
    assert manager.first_name == "Meera K"


@pytest.mark.parametrize("kind", ["superuser", "admin-site"])
def test_a_manager_cannot_touch_a_superuser_or_admin_account(client, manager, django_user_model, kind):
    if kind == "superuser":
        target = django_user_model.objects.create_superuser("root", password=PASSWORD)
    else:
        target = django_user_model.objects.create_user("admin", password=PASSWORD, is_staff=True)
    assert client.get(f"/schedules/staff/{target.pk}/").status_code == 403
    assert edit(client, target, is_active=None).status_code == 403
    assert client.get(f"/schedules/staff/{target.pk}/password/").status_code == 403
    response = client.post(f"/schedules/staff/{target.pk}/password/",
                           {"new_password1": "Hijacked-pass-991", "new_password2": "Hijacked-pass-991"})
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active and target.check_password(PASSWORD)


def test_an_unknown_login_is_404(client, manager):
    assert client.get("/schedules/staff/999999/").status_code == 404


# --- Password -----------------------------------------------------------------------------------


def test_a_manager_resets_a_password(client, manager, clerk):
    new = "Fresh-counter-pass-77"
    response = client.post(f"/schedules/staff/{clerk.pk}/password/", {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(new)


def test_a_bad_new_password_is_explained(client, manager, clerk):
    response = client.post(f"/schedules/staff/{clerk.pk}/password/", {"new_password1": "ravi", "new_password2": "x"})
    assert response.status_code == 400 and "didn" in response.content.decode()
    response = client.post(f"/schedules/staff/{clerk.pk}/password/", {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 400 and "entirely numeric" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


def test_a_manager_resetting_their_own_password_stays_logged_in(client, manager):
    new = "Fresh-manager-pass-77"
    client.post(f"/schedules/staff/{manager.pk}/password/", {"new_password1": new, "new_password2": new})
    assert client.get("/schedules/staff/").status_code == 200


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Reception", "Doctor", None])
def test_other_roles_get_403_everywhere(client, make_login, clerk, role):
    client.force_login(make_login("someone", role))
    for url in ["/schedules/staff/", "/schedules/staff/add/", f"/schedules/staff/{clerk.pk}/",
                f"/schedules/staff/{clerk.pk}/password/"]:
        assert client.get(url).status_code == 403, url
    assert add(client).status_code == 403
    assert edit(client, clerk, is_active=None).status_code == 403
    clerk.refresh_from_db()
    assert clerk.is_active


def test_the_nav_links_staff_for_managers_only(client, manager, make_login):
    assert 'href="/schedules/staff/"' in client.get("/schedules/").content.decode()
    client.force_login(make_login("desk", "Reception"))
    assert 'href="/schedules/staff/"' not in client.get("/desk/").content.decode()


def test_a_superuser_manages_staff_too(client, django_user_model, clerk):
    client.force_login(django_user_model.objects.create_superuser("root", password=PASSWORD))
    assert client.get("/schedules/staff/").status_code == 200
    assert edit(client, clerk, role="Manager").status_code == 302


@pytest.mark.parametrize("query", [
    {"page": "999"}, {"page": "abc"}, {"is_active": "maybe"}, {"role": "Nurse"}, {"sort": "password"},
    {"sort": "-roles"}, {"q": "%_\\'\""},
])
def test_odd_list_queries_never_500(client, manager, clerk, query):
    assert client.get("/schedules/staff/", query).status_code < 500


def test_odd_ids_and_values_never_500(client, manager, clerk):
    assert client.get("/schedules/staff/99999999999999/").status_code == 404
    assert client.post("/schedules/staff/99999999999999/password/", {}).status_code == 404
    response = edit(client, clerk, role="Doctor", doctor="not-a-uuid")
    assert response.status_code == 400 and "is not a valid UUID" in response.content.decode()
    assert add(client, username="x" * 300).status_code == 400


# --- Services (the checks hold even when a form was valid a moment earlier) ----------------------


def test_linking_a_doctor_that_just_got_a_login_is_refused(doctor, make_login, django_user_model):
    from scheduling.staff import StaffRefused, create_staff_login

    make_login("asha", "Doctor", doctor=doctor)
    with pytest.raises(StaffRefused, match="already has a login") as refused:
        create_staff_login(username="second", first_name="", last_name="", password=PASSWORD, role="Doctor",
                           doctor=doctor)
    assert refused.value.field == "doctor"
    assert not django_user_model.objects.filter(username="second").exists()


def test_the_update_service_refuses_superusers_and_self_demotion(manager, django_user_model):
    from scheduling.staff import StaffRefused, update_staff_login

    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    with pytest.raises(StaffRefused, match="managed in the admin"):
        update_staff_login(user_id=root.pk, by=manager, first_name="", last_name="", is_active=False,
                           role="Reception", doctor=None)
    with pytest.raises(StaffRefused, match="your own"):
        update_staff_login(user_id=manager.pk, by=manager, first_name="", last_name="", is_active=True,
                           role="Reception", doctor=None)
    root.refresh_from_db()
    assert root.is_active and roles_of(manager) == ["Manager"]
