from django_bolt import BoltAPI

api = BoltAPI()
raise RuntimeError("kaboom while importing the API")
