"""docs/nginx/opdq.conf, run by Debian's nginx in front of two web processes: a booking over HTTPS,
its push over a wss:// websocket to a board, static files from disk, HTTP redirected to HTTPS,
and the metrics of both processes added up in one scrape.

The config is the documented file itself, with only its addresses, paths and certificate swapped
for this test's (free ports, a temp dir, a self-signed certificate made here)."""

import asyncio
import datetime as dt
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token as ApiToken

from queues.models import Display
from tests.staff import make_staff
from tests.webserver import (
    ROOT,
    database_url_of_test_db,
    free_port,
    start_web,
    start_wsgi,
    stop_web,
    wait_for_port,
    web_env,
)

pytestmark = pytest.mark.django_db(transaction=True)

SITE = ROOT / "docs" / "nginx" / "opdq.conf"
NGINX = "/usr/sbin/nginx"
METRICS_TOKEN = "nginx-test-scrape-token"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def site_config(*, http: int, https: int, web: list[int], pages: list[int], cert: Path, key: Path, logs: Path) -> str:
    """The documented site config with this test's addresses (`web`: the opdq_web upstream, for
    websockets; `pages`: opdq_http); every swap must find its text, so the test breaks if the
    document changes shape under it."""
    websockets_part, marker, http_part = SITE.read_text().partition("upstream opdq_http {")
    assert marker, "docs/nginx/opdq.conf no longer has an opdq_http upstream"
    for n, default in enumerate(("8001", "8002")):
        websockets_part = websockets_part.replace(f"server 127.0.0.1:{default} ", f"server 127.0.0.1:{web[n]} ")
        http_part = http_part.replace(f"server 127.0.0.1:{default} ", f"server 127.0.0.1:{pages[n]} ")
    text = websockets_part + marker + http_part
    swaps = [
        ("    listen 80;\n", f"    listen 127.0.0.1:{http};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl http2;", f"    listen 127.0.0.1:{https} ssl http2;"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("server_name opd.example.org;", "server_name localhost;"),
        ("/etc/ssl/opdq/fullchain.pem", str(cert)),
        ("/etc/ssl/opdq/privkey.pem", str(key)),
        ("/srv/opdq/staticfiles/", f"{ROOT / 'static'}/"),
        ("/var/log/nginx/opdq.access.log", str(logs / "opdq.access.log")),
    ]
    for old, new in swaps:
        assert old in text, f"docs/nginx/opdq.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(params=["one server", "split"])
def behind_nginx(request, tmp_path, redis_url, transactional_db):
    """Behind nginx (DEBUG off, metrics on, one metrics directory), either two web processes
    serving everything (the Procfile's web: line, as shipped) or the split deployment: HTTP from
    a WSGI process, websockets from a web process. Yields (https port, http port, CA file)."""
    if not Path(NGINX).exists():
        pytest.skip("Debian's nginx is not installed (apt-get install -y nginx)")
    split = request.param == "split"
    web = [free_port(), free_port()]
    pages = [free_port()] * 2 if split else web
    ports = {"http": free_port(), "https": free_port(), "web": web, "pages": pages}
    cert, key = self_signed_certificate(tmp_path)
    (tmp_path / "site.conf").write_text(site_config(**ports, cert=cert, key=key, logs=tmp_path))
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    # As root, nginx's workers would run as nobody, who may not enter the checkout (a CI clone
    # can be a 0700 directory) for the static files: the test's workers stay this user.
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
daemon off;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp_path}/access.log;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {tmp_path}/site.conf;
}}
""")
    (tmp_path / "metrics").mkdir()
    env = web_env(database_url_of_test_db(), redis_url)
    env.update(DEBUG="0", SECRET_KEY="nginx-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
               ALLOWED_HOSTS="localhost", METRICS_TOKEN=METRICS_TOKEN, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
               LIVE_PUSH_COALESCE_MS="0")
    webs, nginx = [], None
    try:
        webs = [start_web(port, env) for port in ports["web"]]
        if split:
            webs.append(start_wsgi(pages[0], env))
        subprocess.run([NGINX, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c",
                        str(tmp_path / "nginx.conf")], check=True, timeout=30)
        nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c",
                                  str(tmp_path / "nginx.conf")])
        wait_for_port(ports["https"], nginx, "nginx", timeout=20)
        yield ports["https"], ports["http"], cert
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        stop_web(webs)
        shutil.rmtree(tmp_path / "metrics", ignore_errors=True)


def test_a_booking_over_https_is_pushed_to_a_board_over_wss_through_nginx(behind_nginx, doctor, slot, make_patient):
    import websockets
    from prometheus_client.parser import text_string_to_metric_families

    https, http, ca = behind_nginx
    tls = ssl.create_default_context(cafile=str(ca))
    base = f"https://localhost:{https}"
    display = Display.objects.create(name="Hall")
    display.doctors.add(doctor)
    api_key = ApiToken.objects.create(user=make_staff("desk", "Reception")).key
    patients = [make_patient(), make_patient()]

    def fetch(path, *, data=None, headers=None):
        request = urllib.request.Request(base + path, data=json.dumps(data).encode() if data else None,
                                         headers={"Content-Type": "application/json", **(headers or {})},
                                         method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=15, context=tls) as response:
            return response.status, response.headers, response.read()  # case-insensitive

    def book(patient):
        return fetch("/api/v1/tokens/", data={"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "WALKIN"},
                     headers={"Authorization": f"Token {api_key}"})

    async def scenario():
        board = await websockets.connect(f"wss://localhost:{https}/ws/board/{display.key}/", ssl=tls,
                                         origin=base, open_timeout=20)
        assert 'id="board-rows"' in await asyncio.wait_for(board.recv(), 15)
        answers = []
        for patient in patients:
            status, headers, body = await asyncio.get_running_loop().run_in_executor(None, book, patient)
            token = json.loads(body)
            update = await asyncio.wait_for(board.recv(), 15)
            answers.append((status, headers, token, update))
        await board.close()
        return answers

    answers = asyncio.run(scenario())
    for patient, (status, headers, token, update) in zip(patients, answers):
        assert status == 201
        assert len(headers["X-Request-ID"]) == 32  # nginx's $request_id, kept by the app
        assert f'<span class="num">{token["token_label"]}</span>' in update  # the push came through wss
        assert patient.name not in update

    # Static files come from disk, cached long.
    status, headers, body = fetch("/static/css/base.css")
    assert status == 200 and body == (ROOT / "static" / "css" / "base.css").read_bytes()
    assert "immutable" in headers["Cache-Control"]

    # Plain HTTP is sent to HTTPS.
    plain = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                             {"redirect_request": lambda *args, **kwargs: None}))
    with pytest.raises(urllib.error.HTTPError) as redirect:
        plain.open(f"http://localhost:{http}/desk/", timeout=10)
    assert redirect.value.code == 301
    assert redirect.value.headers["Location"] == "https://localhost/desk/"

    # One scrape, whichever process answers, adds up both processes' bookings; the database is instrumented.
    _, _, body = fetch("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body.decode()) for s in family.samples}
    assert samples[("opdq_bookings_total", (("outcome", "token"),))] == 2
    assert any(name == "django_db_execute_total" and value > 0 for (name, _), value in samples.items())
