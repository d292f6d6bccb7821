from django.urls import path
from viewflow.contrib.auth import AuthViewset
from viewflow.workflow.flow import FlowViewset

from .flows import RegistrationFlow

urlpatterns = [
    path("accounts/", AuthViewset().urls),
    path("registration/", FlowViewset(RegistrationFlow).urls),
]
