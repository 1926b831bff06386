from django.urls import path

from abdm import views

app_name = "abdm"

urlpatterns = [
    # The bridge URL registered with ABDM is the site's /abdm: the gateway posts here.
    path("api/v3/hip/patient/share", views.share_callback, name="share-callback"),
    path("inbox/", views.inbox, name="inbox"),
    path("shares/<int:share_id>/book/", views.book, name="book"),
    path("counters/", views.counters, name="counters"),
    path("counters/<str:code>/print/", views.counter_print, name="counter-print"),
]
