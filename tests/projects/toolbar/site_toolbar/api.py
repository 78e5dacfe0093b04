from django_bolt import BoltAPI
from django_bolt.responses import HTML

api = BoltAPI(prefix="/tb", django_middleware=True)


@api.get("/page")
async def page() -> HTML:
    return HTML("<html><head><title>t</title></head><body><h1>bolt page</h1></body></html>")


@api.get("/data")
async def data() -> dict:
    return {"answer": 42}
