"""Locust users for the HTTP benchmarks (tests/perf/test_http.py runs it headless against a
gunicorn on the loopback). Each user sends one kind of request back to back, signed in
with the cookie or token the test prepared (16 users sign in once, not 16 times):

    BENCH_LOCUST_TASK     queue | api_list
    BENCH_LOCUST_PAYLOAD  file with the /_dash-update-component body of the queue grid's block request
    BENCH_LOCUST_COOKIE   the session cookie header of a signed-in reviewer
    BENCH_LOCUST_TOKEN    a reviewer's API token
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from locust import FastHttpUser, constant, task

TASK = os.environ.get("BENCH_LOCUST_TASK", "queue")
PAYLOAD = Path(os.environ["BENCH_LOCUST_PAYLOAD"]).read_text() if os.environ.get("BENCH_LOCUST_PAYLOAD") else "{}"
COOKIE = os.environ.get("BENCH_LOCUST_COOKIE", "")
TOKEN = os.environ.get("BENCH_LOCUST_TOKEN", "")


class Reviewer(FastHttpUser):
    wait_time = constant(0)  # closed loop: the next request as soon as the answer is in

    @task
    def one(self):
        if TASK == "queue":
            with self.client.post("/_dash-update-component", data=PAYLOAD, name="queue block",
                                  headers={"Content-Type": "application/json", "Cookie": COOKIE},
                                  catch_response=True) as r:
                if r.status_code != 200 or "rowData" not in (r.text or ""):
                    r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
        else:
            with self.client.get("/api/v1/resolution_center_cases?first=50", name="api list",
                                 headers={"Authorization": f"Bearer {TOKEN}"}, catch_response=True) as r:
                if r.status_code != 200 or not json.loads(r.text or "{}").get("data"):
                    r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
