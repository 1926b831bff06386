"""Reading /metrics in tests (tests/test_metrics.py, tests/notices/test_delivery_metrics.py);
the `metrics_on` fixture (tests/conftest.py) turns the page on with TOKEN."""

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-for-tests"


def scrape(client) -> dict:
    """{(name, frozenset(labels)): value} of one scrape."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)
