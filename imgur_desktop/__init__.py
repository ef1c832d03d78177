"""imgur-desktop: a desktop uploader for Imgur-style image hosts."""

__version__ = "0.1.0"
