import re

import pytest
from django.core.management import call_command

from queues.models import Display

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_board_and_prints_its_url_on_its_own_line(capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    display = Display.objects.get()
    assert display.doctors.count() == 6
    lines = capsys.readouterr().out.splitlines()
    assert lines.count(f"http://127.0.0.1:8000/board/{display.key}/") == 2
    assert all(re.fullmatch(r"http://\S+/board/[\w-]+/", l) for l in lines if "/board/" in l)
