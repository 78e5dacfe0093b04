from django_bolt import BoltAPI, LoggingConfig

# Request logging configured on the API: a quarter of the requests, no slow-request records.
api = BoltAPI(logging_config=LoggingConfig(sample_rate=0.25, slow_request_ms=None, request_headers=False))


@api.get("/sampled")
def sampled() -> dict:
    return {"ok": True}


# django-bolt's production switch: this API's requests write no access line and no request log.
quiet = BoltAPI(prefix="/quiet", enable_logging=False)


@quiet.get("/sampled")
def quiet_sampled() -> dict:
    return {"ok": True}


@quiet.get("/fails")
def quiet_fails() -> dict:
    raise RuntimeError("quiet route failed")
