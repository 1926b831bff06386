"""QR codes for slips, drawn on the server as inline SVG (segno: no network, no image files)."""

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str) -> SafeString:
    """An inline <svg> of the URL's QR code, sized by the slip's CSS (a viewBox, no fixed size)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=3, border=2, dark="#000", light="#fff", omitsize=True))
