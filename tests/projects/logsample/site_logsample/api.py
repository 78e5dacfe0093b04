from django_bolt import BoltAPI, LoggingConfig

# Request logging configured on the API: a quarter of the requests, no slow-request records.
api = BoltAPI(logging_config=LoggingConfig(sample_rate=0.25, slow_request_ms=None, request_headers=False))


@api.get("/sampled")
def sampled() -> dict:
    return {"ok": True}
