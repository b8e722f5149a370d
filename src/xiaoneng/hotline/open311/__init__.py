"""Open311 GeoReport v2 facade of the 12345 hotline (docs/hotline.md, "Open311")."""
