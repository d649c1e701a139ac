"""The web page: static assets served by the API's own app, talking to the API."""
