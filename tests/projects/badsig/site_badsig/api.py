from django_bolt import BoltAPI, Query

api = BoltAPI()


@api.get("/flags")
def flags(enabled: bool = Query(False, ge=1)) -> dict:
    return {"enabled": enabled}
