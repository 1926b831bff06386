from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import metrics, views
from config.permissions import STAFF_ROLES, role_required

urlpatterns = [
    # The API first: an API call would otherwise be tried against every page pattern of the ""
    # includes below (62 -> 20 µs per resolve, docs/benchmarks.md).
    path("api/v1/", include("config.api_urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("", include("queues.urls")),
    path("", include("notices.urls")),
    path("schedules/", include("scheduling.urls")),
    path("abdm/", include("abdm.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", role_required(*STAFF_ROLES)(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
]

handler500 = "config.views.server_error"
