"""Qt-free core: models, format sniffing, link formats, settings and the API client."""
