from django_bolt import BoltAPI

api = BoltAPI()
other = BoltAPI()


@api.get("/hello")
def hello() -> dict:
    return {"a": 1}


@other.get("/hello")
def hello_again() -> dict:
    return {"b": 2}
