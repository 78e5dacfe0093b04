from django_bolt import BoltAPI

shop = BoltAPI(prefix="/shop")


@shop.get("/items")
def items() -> dict:
    return {"from": "shop.api"}
