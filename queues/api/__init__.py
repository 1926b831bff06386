"""REST API for slots, tokens, the waiting list, the daily report and a doctor's day:
serializers.py (the shapes), filters.py (list filters), views.py (the viewsets config/api_urls.py
registers)."""
