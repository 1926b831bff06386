"""Benchmark: what one change sends to the live screens, at 300 patients queued for a doctor
(`make bench` runs it as `python -m bench.push_size`).

One doctor with 300 patients in the day's queue (three slots), every screen open: the doctor's
page, an English and a Hindi board, and a desk. For each kind of change (a walk-in appended at the
end, an emergency, a check-in in the middle, call next, skip) it records the bytes each group is
sent, how many fragments were rendered, and what a desk then pulls to refresh the changed doctor's
row. Also the full states a screen gets on (re)connect. Pushes run in the request
(LIVE_PUSH_COALESCE_MS=0) and are captured at the channel layer's door, so the bytes are exactly
what a screen receives over its websocket (before compression).

Results replace the `push-size` section of docs/benchmarks.md.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from bench import _common as common

QUEUED = 300
PER_SLOT = QUEUED // 3


def main() -> None:
    _, info = common.open_bench("bench.push_size", LIVE_PUSH_COALESCE_MS="0", REDIS_URL="")
    rows, full = measure()
    common.write_section("push-size", report(info, rows, full))
    print(report(info, rows, full))


def measure():
    from django.test import Client
    from django.utils import timezone

    from queues import allocation, broadcast, fragments
    from queues.models import Display
    from scheduling.models import Department, Doctor, Patient, Slot
    from tests.staff import make_staff

    department = Department.objects.create(name="General Medicine", token_prefix="GM")
    doctor = Doctor.objects.create(name="Dr. Bench", department=department, room="4")
    Doctor.objects.bulk_create([Doctor(name=f"Dr. Other {n}", department=department) for n in range(20)])
    display = Display.objects.create(name="Hall")
    now = timezone.now()
    slots = [
        Slot.objects.create(doctor=doctor, start_time=now - timedelta(minutes=10) + timedelta(minutes=20 * n),
                            end_time=now + timedelta(minutes=10 + 20 * n), max_capacity=PER_SLOT + 20)
        for n in range(3)
    ]
    patients = Patient.objects.bulk_create([Patient(name=f"Patient {n}", phone=f"98{n:08d}") for n in range(QUEUED + 10)])
    fresh = iter(patients[QUEUED:])
    tokens = []
    for n, patient in enumerate(patients[:QUEUED]):  # half walk-ins (present), half online (expected)
        category = "WALKIN" if n % 2 else "ONLINE"
        tokens.append(allocation.book_token(slot_id=slots[n // PER_SLOT].pk, patient_id=patient.pk, category=category).token)

    groups = [broadcast.DESK_GROUP, broadcast.doctor_group(doctor.pk),
              *(broadcast.board_doctor_group(doctor.pk, lang) for lang in fragments.BOARD_LANGUAGES)]
    broadcast.watchers.watched = lambda names: set(names) & set(groups)  # every screen is open
    sent: list[tuple[str, int]] = []
    broadcast._send = lambda messages, what: sent.extend(
        (group, len((m.get("html") or m.get("text") or "").encode())) for group, m in messages)
    renders = defaultdict(int)
    for name in ("render_doctor_parts", "render_board_row"):
        original = getattr(fragments, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            renders[_name] += 1
            return _original(*args, **kwargs)

        setattr(fragments, name, counted)

    desk = Client(HTTP_HOST="127.0.0.1")
    desk.force_login(make_staff("bench-desk", "Reception"))

    def change(label, action):
        from django.db import transaction

        sent.clear()
        renders.clear()
        with transaction.atomic():
            action()
        by_group = defaultdict(int)
        for group, size in sent:
            by_group[group] += size
        row = desk.get("/desk/", {"board_doctor": str(doctor.pk)}, headers={"HX-Request": "true"}).content
        return {
            "change": label,
            "doctor": by_group.get(broadcast.doctor_group(doctor.pk), 0),
            "board": max(by_group.get(broadcast.board_doctor_group(doctor.pk, lang), 0) for lang in fragments.BOARD_LANGUAGES),
            "desk_note": by_group.get(broadcast.DESK_GROUP, 0),
            "desk_pull": len(row),
            "renders": renders["render_doctor_parts"] + renders["render_board_row"],
        }

    # Prime the "last sent" digests, as a screen that has been open a while would have them.
    change("prime", lambda: allocation.delay_slot(slot_id=slots[2].pk, delay_minutes=0))
    expected = next(t for t in tokens[PER_SLOT:] if t.status == "CONFIRMED")
    rows = [
        change(f"walk-in booked at the end ({QUEUED} queued)",
               lambda: allocation.book_token(slot_id=slots[2].pk, patient_id=next(fresh).pk, category="WALKIN")),
        change("emergency inserted", lambda: allocation.insert_emergency(slot_id=slots[0].pk, patient_id=next(fresh).pk)),
        change("check-in in the middle of the day", lambda: allocation.check_in(token_id=expected.pk)),
        change("call next", lambda: allocation.call_next_for_doctor(doctor_id=doctor.pk)),
        change("skip", lambda: allocation.skip_token(token_id=allocation.call_next_for_doctor(doctor_id=doctor.pk).pk)),
    ]
    doctor_full = "".join(fragments.render_doctor_parts(doctor).values())
    board_full = fragments.render_board_rows(display)
    full = {
        "doctor page, full state on (re)connect": len(doctor_full.encode()),
        "board, full state on (re)connect (21 doctors)": len(board_full.encode()),
        "desk, whole slot board (21 doctors)": len(desk.get("/desk/", headers={"HX-Request": "true", "HX-Target": "slot-board"}).content),
    }
    return rows, full


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} B"


def report(info, rows, full) -> str:
    lines = [
        "## Live pushes: bytes and renders per change",
        "",
        f"{info['date']}, commit {info['commit']}, {info['cpus']} × {info['cpu']}, {info['postgres']}, "
        f"Python {info['python']}. Command: `{info['command']}` (part of `make bench`).",
        "",
        f"One doctor with {QUEUED} patients in the day's queue (half present, half expected), all screens open.",
        "Bytes are what each screen's websocket receives for the change; *desk pull* is the refresh of the "
        "changed doctor's row that the desk's note triggers; renders count fragment renders (doctor page "
        "parts and board rows, once per change for every open screen).",
        "",
        "| Change | Doctor's page | Each board | Desk note | Desk pull | Renders |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['change']} | {kb(r['doctor'])} | {kb(r['board'])} | {kb(r['desk_note'])} | "
                     f"{kb(r['desk_pull'])} | {r['renders']} |")
    lines += ["", "| Full state | Bytes |", "| --- | ---: |"]
    lines += [f"| {name} | {kb(size)} |" for name, size in full.items()]
    lines += [
        "",
        "Before this change (issue #8, measured by hand): a push to the doctor's page was 201 KB at 262 "
        "queued, and an idle desk pulled 793 KB in 46 s while another doctor called patients (every change "
        "refreshed its whole slot board and panel). Now the doctor's page lists the first 15 of the day "
        "(the rest on request), a push carries only the parts that changed, and a desk refreshes only the "
        "changed doctor's row.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
