from django_bolt import BoltAPI, LoggingConfig

# Request logging configured on the API: a quarter of the successful requests (errors are never
# sampled away), no slow-request records, on the logger --log-level turns on.
api = BoltAPI(logging_config=LoggingConfig(logger_name="django_bolt.request", sample_rate=0.25, slow_request_ms=None))


@api.get("/sampled")
def sampled() -> dict:
    return {"ok": True}


@api.get("/fails")
def fails() -> dict:
    raise RuntimeError("logged route failed")


# django-bolt's production switch: this API's requests write no access line and no request log.
quiet = BoltAPI(prefix="/quiet", enable_logging=False)


@quiet.get("/sampled")
def quiet_sampled() -> dict:
    return {"ok": True}


@quiet.get("/fails")
def quiet_fails() -> dict:
    raise RuntimeError("quiet route failed")
