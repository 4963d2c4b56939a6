# The Python peer: FastAPI on uvicorn, the seed study's shape for /io
# (await asyncio.sleep), and /products/{id} from a TTL cache, a miss awaiting
# STORE_LATENCY_MS like turbina's simulated store.
import asyncio
import os
import time

from fastapi import FastAPI, Response

app = FastAPI()
STORE_LATENCY = int(os.environ.get("STORE_LATENCY_MS", "20")) / 1000
TTL = 30.0
cache: dict[str, tuple[bytes, float]] = {}
counter = 0


def make_product(pid: int) -> bytes:
    import json
    return json.dumps({
        "id": pid, "sku": f"TRB-{pid:08d}", "name": "Bright Cotton Clock",
        "description": "The bright cotton clock: a favourite of reviewers this season, light enough to carry anywhere.",
        "category": "home", "price": {"amount": 344.38, "currency": "USD"}, "stock": 280,
        "tags": ["eco", "new"], "updatedAt": "2026-04-25T03:59:46.000Z",
    }, separators=(",", ":")).encode()


@app.get("/io")
async def io(ms: int = 1):
    await asyncio.sleep(ms / 1000)
    return {"message": "ok"}


@app.get("/products/{pid}")
async def product(pid: int):
    global counter
    counter += 1
    key = str(pid)
    now = time.monotonic()
    hit = cache.get(key)
    status = "HIT"
    if hit is None or hit[1] <= now:
        await asyncio.sleep(STORE_LATENCY)
        if len(cache) >= 10000:
            cache.pop(next(iter(cache)))
        hit = (make_product(pid), time.monotonic() + TTL)
        cache[key] = hit
        status = "MISS"
    return Response(content=hit[0], media_type="application/json", headers={
        "x-request-id": f"py000000-{counter}", "x-cache": status,
        "cache-control": f"public, max-age={int(hit[1] - time.monotonic())}",
    })


@app.get("/healthz")
async def healthz():
    # The startup measurement's probe (npm run bench -- --startup).
    return {"status": "ok"}
