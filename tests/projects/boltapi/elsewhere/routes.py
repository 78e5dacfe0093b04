from django_bolt import BoltAPI

public = BoltAPI()
admin_api = BoltAPI(prefix="/internal")
ignored = BoltAPI()  # not listed in BOLT_API: not served


@public.get("/hello")
def hello() -> dict:
    return {"from": "BOLT_API"}


@admin_api.get("/stats")
def stats() -> dict:
    return {"ok": True}


@ignored.get("/ignored")
def not_served() -> dict:
    return {}
