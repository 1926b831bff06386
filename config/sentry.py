"""Error reports to Sentry when SENTRY_DSN is set, without patient data.

`send_default_pii=False` keeps users' IPs, cookies and request bodies out; local variables are not
sent (they hold patients' names and phones); `strip_patient_data` removes what is left: the
request's body, query string and cookies, any field named like a patient's detail wherever it
appears in the event, phone-like numbers in any text, and the parameters of SQL breadcrumbs.
"""

from __future__ import annotations

from config.redact import FILTERED, mask_phones

PATIENT_FIELDS = frozenset({
    "name", "patient", "patient_name", "phone", "mobile", "q", "search", "query", "address", "age", "gender",
    "sex", "date_of_birth", "dob", "abha", "abha_number", "abha_address", "guardian", "notes",
})


def _scrub(value):
    if isinstance(value, dict):
        return {k: FILTERED if str(k).lower() in PATIENT_FIELDS else _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return mask_phones(value)
    return value


def strip_patient_data(event: dict, hint=None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "query_string", "cookies"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if crumb.get("category") == "query":
            crumb.pop("data", None)
    return _scrub(event)


def init_sentry(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float, transport=None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=strip_patient_data,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        transport=transport,
    )
