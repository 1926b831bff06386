"""The waiting-room TV board (/board/<key>/): no login, the Display's secret key in the URL.

Public screen: token numbers, doctors and rooms only; never patient names, phones or
categories. The page opens /ws/board/<key>/, which sends the full board on every (re)connect
and then each changed doctor row, rendered once per change by queues/broadcast.py.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from queues import fragments
from queues.models import Display

TEMPLATE = "queues/board.html"


@never_cache
@xframe_options_sameorigin
def board(request, key):
    display = Display.objects.filter(key=key).first()
    if display is None or not display.active:
        response = render(request, "queues/board_invalid.html", {"L": fragments.board_labels(display.language if display else "en")})
        response.status_code = 404
        return response
    rows = fragments.board_rows(display)
    return render(request, TEMPLATE, {
        "display": display,
        "rows": rows,
        "count": len(rows),
        "L": fragments.board_labels(display.language),
        "live_socket": f"/ws/board/{display.key}/",
    })
