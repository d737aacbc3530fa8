"""Bearer tokens and TLS against a real server: a CA and server certificate made here, the real
clients and CLI, health open without a token."""
from __future__ import annotations

import datetime
import ipaddress

import grpc
import pytest
from server_helpers import start_server

from plugin_service.cli import main as cli_main
from plugin_service.client import AssetGenClient

pytestmark = pytest.mark.integration

EDITOR_TOKEN = "editor-" + "e" * 24
PIPELINE_TOKEN = "pipeline-" + "p" * 24


def make_ca_and_server_cert(folder):
    """A throwaway CA and a certificate for 127.0.0.1 / localhost signed by it (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "assetgen test CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    paths = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}
    paths["ca"].write_bytes(ca_cert.public_bytes(pem))
    paths["cert"].write_bytes(cert.public_bytes(pem))
    paths["key"].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="module")
def secure(models_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    paths = make_ca_and_server_cert(folder)
    tokens = folder / "tokens"
    tokens.write_text(f"# name:token\nlevel-editor:{EDITOR_TOKEN}\npipeline:{PIPELINE_TOKEN}\n")
    thread = start_server(models_dir, tokens_file=tokens, tls_cert=paths["cert"], tls_key=paths["key"])
    thread.paths = paths
    with AssetGenClient(thread.address, tls_ca=paths["ca"]) as client:
        client.wait_ready(120)  # health needs no token
    yield thread
    thread.stop()


def test_valid_token_over_tls_generates(secure):
    with AssetGenClient(secure.address, token=EDITOR_TOKEN, tls_ca=secure.paths["ca"]) as client:
        assets = list(client.generate("mossy cobblestone", "texture", count=2, seed=11, timeout=60))
        models, _ = client.list_models()
    assert sorted(a.seed for a in assets) == [11, 12] and models


@pytest.mark.parametrize("token, words", [(None, "missing bearer token"), ("w" * 30, "not valid")])
def test_missing_or_wrong_token_is_unauthenticated_on_every_rpc(secure, token, words):
    with AssetGenClient(secure.address, token=token, tls_ca=secure.paths["ca"]) as client:
        assert client.health_status() == "SERVING"  # health stays open
        with pytest.raises(grpc.RpcError) as caught:
            next(client.generate("x", "texture", seed=1, timeout=30))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED and words in caught.value.details()
        with pytest.raises(grpc.RpcError) as caught:
            client.list_models()
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        session = client.session()
        session.submit("t", "door", "texture", seed=1)
        with pytest.raises(grpc.RpcError) as caught:
            list(session)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_plaintext_client_cannot_talk_to_the_tls_port(secure):
    with AssetGenClient(secure.address, token=EDITOR_TOKEN) as client:
        assert client.health_status(timeout=3) == "UNREACHABLE"


def test_async_client_with_token_and_tls_runs_a_session(secure):
    import asyncio

    from plugin_service.client import AsyncAssetGenClient

    async def go():
        async with AsyncAssetGenClient(secure.address, token=PIPELINE_TOKEN, tls_ca=secure.paths["ca"]) as client:
            session = client.session()
            await session.submit("a", "oak door", "texture", seed=5)
            await session.close()
            return [e async for e in session]

    events = asyncio.run(go())
    assert events[-1].done and events[-1].tag == "a"


def test_cli_token_and_ca_from_flags_and_env(secure, monkeypatch, capsys):
    assert cli_main(["models", "--address", secure.address, "--token", EDITOR_TOKEN,
                     "--tls-ca", str(secure.paths["ca"])]) == 0
    assert "assetgen-test" in capsys.readouterr().out
    monkeypatch.setenv("ASSETGEN_TOKEN", PIPELINE_TOKEN)
    monkeypatch.setenv("ASSETGEN_TLS_CA", str(secure.paths["ca"]))
    assert cli_main(["models", "--address", secure.address]) == 0
    monkeypatch.setenv("ASSETGEN_TOKEN", "nope-" + "n" * 20)
    assert cli_main(["models", "--address", secure.address]) == 1
    assert "UNAUTHENTICATED" in capsys.readouterr().err


def test_requests_are_counted_per_token_name(secure):
    text = secure.server.metrics.exposition().decode()
    assert 'assetgen_rejects_total{reason="unauthenticated"}' in text
    assert 'code="OK",kind="texture",rpc="Generate"' in text
    ok_lines = [line for line in text.splitlines() if line.startswith("assetgen_requests_total") and 'code="OK"' in line]
    assert any('caller="level-editor"' in line for line in ok_lines)
    assert any('caller="pipeline"' in line for line in ok_lines)


def test_batch_uses_token_and_ca_from_flags_and_env(secure, tmp_path, monkeypatch, capsys):
    manifest = tmp_path / "assets.toml"
    manifest.write_text('[assets.door]\nprompt = "oak door"\nsize = 64\nseed = 3\ncount = 2\n')
    out = tmp_path / "out"
    argv = ["batch", str(manifest), "--out", str(out), "--address", secure.address]
    monkeypatch.delenv("ASSETGEN_TOKEN", raising=False)
    monkeypatch.delenv("ASSETGEN_TLS_CA", raising=False)

    assert cli_main(argv + ["--tls-ca", str(secure.paths["ca"])]) == 1  # TLS but no token
    assert "UNAUTHENTICATED" in capsys.readouterr().err and not out.exists()

    assert cli_main(argv + ["--token", PIPELINE_TOKEN, "--tls-ca", str(secure.paths["ca"])]) == 0
    assert "1 generated (2 files)" in capsys.readouterr().out
    assert len(list((out / "door").glob("*.png"))) == 2

    next((out / "door").glob("oak-door_s4_*.png")).unlink()             # resume through the env vars
    monkeypatch.setenv("ASSETGEN_TOKEN", PIPELINE_TOKEN)
    monkeypatch.setenv("ASSETGEN_TLS_CA", str(secure.paths["ca"]))
    assert cli_main(argv) == 0
    assert "1 generated (2 files)" in capsys.readouterr().out

    monkeypatch.setenv("ASSETGEN_TOKEN", "nope-" + "n" * 20)
    assert cli_main(argv) == 1
    assert "UNAUTHENTICATED" in capsys.readouterr().err
