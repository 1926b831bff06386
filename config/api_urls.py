"""REST API v1: the original MVP's endpoints, plus the rest of the queue's actions."""

from rest_framework.routers import DefaultRouter

from queues import api as queue_api
from scheduling import api as scheduling_api

router = DefaultRouter()
router.register("departments", scheduling_api.DepartmentViewSet)
router.register("doctors", scheduling_api.DoctorViewSet)
router.register("patients", scheduling_api.PatientViewSet)
router.register("slots", queue_api.SlotViewSet)
router.register("tokens", queue_api.TokenViewSet)
router.register("waiting-list", queue_api.WaitingListViewSet)
router.register("reports", queue_api.ReportViewSet, basename="reports")

urlpatterns = router.urls
