from django.urls import path

app_name = "queues"

urlpatterns = [
]
