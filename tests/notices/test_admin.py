"""Staff see notices, their deliveries (state and the provider's reason) and consents in the admin."""

import pytest
from django.contrib.auth import get_user_model

from notices.models import Delivery
from queues import allocation
from queues.models import Notice

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_admin_lists_notices_with_their_deliveries_and_consents(client, sms_gateway, slot, consented):
    sms_gateway.statuses = [400]
    token = allocation.book_token(slot_id=slot.pk, patient_id=consented("Jane Doe").pk, category="WALKIN").token
    notice = Notice.objects.get(token=token)
    client.force_login(get_user_model().objects.create_superuser("root", password="x-test-pass-123"))
    assert "Booked" in client.get("/admin/queues/notice/").content.decode()
    page = client.get(f"/admin/queues/notice/{notice.pk}/change/").content.decode()
    assert "HTTP 400: provider trouble" in page and "Failed" in page
    assert "HTTP 400" in client.get("/admin/notices/delivery/").content.decode()
    assert Delivery.objects.get(notice=notice).state == Delivery.State.FAILED
    assert "Jane Doe" in client.get("/admin/notices/consent/").content.decode()
