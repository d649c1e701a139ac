"""Time to first render of My pay (a rep), the finance landing page and a period's payouts
list, on the demo.

``python -m bench.web [--runs 10]``: loads the demo (``incentives demo --no-serve`` for a
fixed day, so every run sees the same data) into a fresh database, serves it, and opens
each page ``runs`` times in Debian's Chromium, each time in a new browser context (cold
cache, a tab signed in with the role's token). A page has rendered when its figures are
on screen: nothing reads "Loading…" and its first chart or table is there. Beside each
figure, in the same run, the baseline: the same browser fetching the JSON the page reads,
all at once, without drawing anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, async_playwright

from bench.ingest.run import (
    CLI,
    _check,
    _env,
    _free_port,
    _wait_healthy,
    api_server,
    fresh_database,
    run_child,
)

OUT = Path("bench/out")
TODAY = "2026-12-07"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Per page: who opens it, where, what must be on screen, and the API reads it makes first.
PAGES: dict[str, dict[str, Any]] = {
    "My pay (rep)": {
        "role": "rep",
        "hash": "#/pay",
        "ready": "main figure[data-chart=pacing] canvas, main details.line",
        "reads": [
            "/me",
            "/me/earnings",
            "/me/attainment",
            "/me/statements?limit=50",
            "/periods",
            "/plans",
            "/me/pacing?period=2026-Q4",
        ],
    },
    "Finance landing (finance)": {
        "role": "finance",
        "hash": "#/finance",
        "ready": "main .activity",
        "reads": ["/me", "/payouts/queue", "/audit?entity=statement&limit=8"],
    },
    "Payouts list (finance)": {
        "role": "finance",
        "hash": "#/payouts?period=2026-Q3&status=submitted",
        "ready": "main tr[data-statement]",
        "reads": [
            "/me",
            "/periods",
            "/statements?period=2026-Q3&status=submitted&limit=500",
            "/payouts/changes?period=2026-Q3",
        ],
    },
}
READY = """(selector) => {
    const main = document.querySelector("main");
    return !!main && !main.innerText.includes("Loading…") && !!main.querySelector(selector)
        ? performance.now() : null;
}"""
FETCH = """async ([paths, token]) => {
    const started = performance.now();
    const headers = { Authorization: "Bearer " + token };
    await Promise.all(paths.map((p) => fetch("/api/v1" + p, { headers }).then((r) => r.text())));
    return performance.now() - started;
}"""


async def _render(browser: Browser, base: str, token: str, page: dict[str, Any]) -> float:
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    await context.add_init_script(
        f"sessionStorage.setItem('incentives.token', {json.dumps(token)})"
    )
    tab = await context.new_page()
    await tab.goto(f"{base}/app/{page['hash']}")
    handle = await tab.wait_for_function(READY, arg=page["ready"], polling="raf", timeout=30_000)
    elapsed = float(await handle.json_value())
    await context.close()
    return elapsed


async def _baseline(browser: Browser, base: str, token: str, page: dict[str, Any]) -> float:
    context = await browser.new_context()
    tab = await context.new_page()
    await tab.goto(f"{base}/app/favicon.svg")
    elapsed = float(await tab.evaluate(FETCH, [page["reads"], token]))
    await context.close()
    return elapsed


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 1),
        "min_ms": round(min(values), 1),
        "max_ms": round(max(values), 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs: int = parser.parse_args().runs
    data = OUT / "web-demo"
    results: dict[str, Any] = {}
    async with fresh_database() as url:
        _check(
            run_child(
                [*CLI, "demo", "--no-serve", "--today", TODAY],
                _env(url, INCENTIVES_DATA_DIR=str(data)),
            ),
            "loading the demo",
        )
        tokens = json.loads((data / "demo-tokens.json").read_text())
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        with api_server(url, port, OUT / "web-api.log"):
            async with httpx.AsyncClient(base_url=base) as client:
                await _wait_healthy(client)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for name, page in PAGES.items():
                    print(f"measuring {name}", flush=True)
                    token = tokens[page["role"]]
                    await _render(browser, base, token, page)  # warm the server's caches once
                    rendered = [await _render(browser, base, token, page) for _ in range(runs)]
                    fetched = [await _baseline(browser, base, token, page) for _ in range(runs)]
                    results[name] = {"render": _summary(rendered), "reads": _summary(fetched)}
                await browser.close()
    _report(results, runs)


def _report(results: dict[str, Any], runs: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "web-results.json").write_text(json.dumps(results, indent=2))
    print(f"| page ({runs} runs) | first render, median (min–max) | its API reads alone |")
    print("| --- | --- | --- |")
    for name, found in results.items():
        r, b = found["render"], found["reads"]
        print(
            f"| {name} | {r['median_ms']} ms ({r['min_ms']}–{r['max_ms']}) |"
            f" {b['median_ms']} ms ({b['min_ms']}–{b['max_ms']}) |"
        )


if __name__ == "__main__":
    asyncio.run(main())
