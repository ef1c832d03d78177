"""The four album layouts, named and described in the seed's own words. Shared by the host's
album pages and the app's layout picker so both say the same thing."""

from __future__ import annotations

#: name -> (label, description), in the order the picker shows them.
LAYOUTS: dict[str, tuple[str, str]] = {
    "blog": ("Blog", "Shows all the images on one page in a blog post style layout. Best for "
             "albums with a small to medium amount of images."),
    "vertical": ("Vertical", "Shows one image at a time in a traditional style, with "
                 "thumbnails to the right. Good for almost any album."),
    "horizontal": ("Horizontal", "Shows one image at a time in a traditional style, with "
                   "thumbnails on top. Best for albums that have high resolution photos."),
    "grid": ("Grid", "Shows all the images on one page as thumbnails that expand when clicked "
             "on. Best for albums with lots of images."),
}
