from django_bolt import BoltAPI

api = BoltAPI(prefix="/inventory")


@api.get("/count")
def count() -> dict:
    return {"from": "inventory.api"}
