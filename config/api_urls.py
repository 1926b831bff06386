"""REST API v1: the original MVP's endpoints, plus the rest of the queue's actions."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from notices import api as notices_api
from queues.api import views as queue_api
from scheduling import api as scheduling_api

router = DefaultRouter()
router.register("departments", scheduling_api.DepartmentViewSet)
router.register("doctors", scheduling_api.DoctorViewSet)
router.register("patients", scheduling_api.PatientViewSet)
router.register("slots", queue_api.SlotViewSet)
router.register("tokens", queue_api.TokenViewSet)
router.register("waiting-list", queue_api.WaitingListViewSet)
router.register("reports", queue_api.ReportViewSet, basename="reports")

doctor_queue = queue_api.DoctorQueueViewSet
urlpatterns = [
    path("doctors/<str:pk>/queue/", doctor_queue.as_view({"get": "queue"}), name="doctor-queue"),
    path("doctors/<str:pk>/call_next/", doctor_queue.as_view({"post": "call_next"}), name="doctor-call-next"),
    path("patients/<str:patient_id>/consents/", notices_api.PatientConsentView.as_view(), name="patient-consents"),
    *router.urls,
]
