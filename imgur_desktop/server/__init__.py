"""The local image host: an Imgur API v2 compatible server on SQLite and files.

Qt-free. Shares nothing with ``core.api`` but the wire contract and pure helpers.
"""
