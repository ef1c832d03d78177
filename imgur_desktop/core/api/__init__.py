"""The API client: a transport shared by dialects (v2 now, v3 later beside it)."""
