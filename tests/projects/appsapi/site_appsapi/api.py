from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/site")
def site() -> dict:
    return {"from": "site_appsapi.api"}
