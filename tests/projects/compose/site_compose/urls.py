from django.urls import include, path

# Django's reverse() knows bolt's route names (django_bolt.urls).
urlpatterns = [path("", include("django_bolt.urls"))]
