"""The playground page (GET / on the HTTP port) driven in headless Chromium over the DevTools
protocol: type a prompt, receive the images, check their pixels. Skips, naming the package, when
Debian's `chromium` is not installed (scripts/install_system_tools.sh installs it)."""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from plugin_service.client.sync_client import AssetGenClient

from server_helpers import start_server

pytestmark = pytest.mark.integration

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0"]


async def drive(ws_url: str, page_url: str) -> dict:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
        ids = iter(range(1, 10**6))

        async def send(method: str, **params):
            mid = next(ids)
            await ws.send_json({"id": mid, "method": method, "params": params})
            while True:
                msg = json.loads((await ws.receive()).data)
                if msg.get("id") == mid:
                    return msg.get("result", {})

        async def js(expression: str):
            result = await send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
            return result.get("result", {}).get("value")

        await send("Page.enable")
        await send("Page.navigate", url=page_url)
        for _ in range(100):
            if await js("document.readyState === 'complete' && !!document.getElementById('go')"):
                break
            await asyncio.sleep(0.1)
        await js("""(() => { const v = (id, x) => document.getElementById(id).value = x;
                    v('prompt', 'goblin archer'); v('kind', 'sprite'); v('count', '2'); v('seed', '7');
                    document.getElementById('go').click(); return true; })()""")
        for _ in range(300):
            if await js("document.querySelectorAll('#results img').length === 2 && "
                        "document.getElementById('status').textContent === '2 assets'"):
                break
            await asyncio.sleep(0.1)
        # The page's cache key against the shared golden vectors.
        golden = json.loads((Path(__file__).resolve().parents[1] / "golden" / "cache_keys.json").read_text("utf-8"))
        # Seeds travel as decimal strings, as the page holds them: a JSON number loses a 64-bit seed.
        inputs = [{k: str(v) if k.endswith("seed") else v for k, v in g["inputs"].items()}
                  for g in golden["vectors"]]
        keys = await js("(async () => { const out = []; for (const x of %s) out.push(await "
                        "window.assetgenCacheKey(x)); return out; })()" % json.dumps(inputs))
        assert keys == [v["key"] for v in golden["vectors"]]
        names = json.loads((Path(__file__).resolve().parents[1] / "golden" / "file_names.json").read_text("utf-8"))
        cases = [[c["prompt"], {k: str(v) if k.endswith("seed") else v for k, v in c["asset"].items()}]
                 for c in names["cases"]]
        stems = await js("(async () => { const out = []; for (const [p, a] of %s) out.push(await "
                         "window.assetgenStem(p, a)); return out; })()" % json.dumps(cases))
        assert stems == [c["stem"] for c in names["cases"]]
        # The delivered pixels, read back through a canvas.
        return await js("""(async () => {
            const out = [];
            for (const img of document.querySelectorAll('#results img')) {
              await img.decode();
              const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
              const g = c.getContext('2d'); g.drawImage(img, 0, 0);
              const d = g.getImageData(0, 0, c.width, c.height).data;
              let clear = 0, opaque = 0;
              for (let i = 3; i < d.length; i += 4) { if (d[i] === 0) clear++; else if (d[i] === 255) opaque++; }
              out.push({w: c.width, h: c.height, clear, opaque});
            }
            return {images: out, status: document.getElementById('status').textContent,
                    seeds: [...document.querySelectorAll('#results .card div')].map(e => e.textContent)};
          })()""")


def test_the_playground_generates_sprites_in_a_browser(models_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed: apt-get install -y chromium (scripts/install_system_tools.sh)")
    thread = start_server(models_dir, http_port=0)
    browser = None
    try:
        with AssetGenClient(thread.address) as c:
            c.wait_ready(120)
            expected = sorted((int((a.pixels()[..., 3] == 0).sum()), int((a.pixels()[..., 3] == 255).sum()))
                              for a in c.generate("goblin archer", "sprite", count=2, seed=7))
        page = f"http://127.0.0.1:{thread.server.http.port}/"
        browser = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline, port = time.monotonic() + 60, None
        while port is None and time.monotonic() < deadline:
            line = browser.stderr.readline()
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line or "")
            port = int(found.group(1)) if found else None
        assert port, "chromium did not open its DevTools port"
        import urllib.request

        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        seen = asyncio.run(drive(ws_url, page))
    finally:
        if browser is not None:
            browser.kill()
            browser.wait(10)
        thread.stop()
    assert seen["status"] == "2 assets", seen
    assert sorted(s.split(" · ")[0] for s in seen["seeds"]) == ["seed 7", "seed 8"]
    assert all((image["w"], image["h"]) == (64, 64) for image in seen["images"])
    # The browser shows exactly the pixels the service delivers (alpha read back through a canvas).
    assert sorted((image["clear"], image["opaque"]) for image in seen["images"]) == expected
