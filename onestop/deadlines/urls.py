from django.urls import path

from . import views

app_name = "deadlines"
urlpatterns = [
    path("<str:code>/extend/", views.extend, name="extend"),
]
