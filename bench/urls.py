"""Pilotage's URLs and the ceiling: the smallest Django view, a fixed page."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as pilotage_urlpatterns

PAGE = b"<!DOCTYPE html><html lang=fr><title>ceiling</title><p>ok</p></html>"


def ceiling(request):
    return HttpResponse(PAGE)


urlpatterns = [path("bench/ceiling/", ceiling), *pilotage_urlpatterns]
