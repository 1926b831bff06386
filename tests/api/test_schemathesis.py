"""schemathesis over the OpenAPI schema (/api/schema/): for every operation, a bounded number of
generated requests, valid and invalid, sent in-process as a Manager (every endpoint allowed);
none may answer with a server error. Bounded (EXAMPLES per operation and mode) so the file stays
well under a minute; a deeper run is `schemathesis run` against a served copy (docs/api.md).

Driven through schemathesis's Python API rather than its pytest plugin, whose lazy fixture
loader does not run on pytest 9."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token as ApiToken
from schemathesis import GenerationMode

EXAMPLES = 4


@pytest.mark.django_db(transaction=True)
def test_no_generated_request_gets_a_server_error(staff_user, slot, patient):
    # A doctor, a slot and a patient exist, so list and filter endpoints have rows to answer with.
    auth = {"Authorization": f"Token {ApiToken.objects.create(user=staff_user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20  # the whole API, not an empty or unauthorised schema
    server_errors, sent = [], []

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case):
                response = case.call(headers=auth)
                sent.append(response.status_code)
                if response.status_code >= 500:
                    server_errors.append(f"{operation.label} [{mode.value}] -> {response.status_code}: {case.as_curl_command(auth)}")

            try:
                send()
            except Unsatisfiable:
                # An operation with nothing to get wrong (no parameters, no body) has no invalid form.
                assert mode is GenerationMode.NEGATIVE, operation.label

    assert len(sent) >= len(operations) * 2  # every operation got requests
    assert server_errors == []
